// The short fault-injection run inside npm test: orders at a steady rate while API, worker, both
// consumers, Kafka, Redis and the Temporal server are SIGKILLed and restarted; then every invariant must
// hold (GET /orders listing every accepted order once with its final status among them).
// It runs on a stack of its own (TEST_STACK_PORT_OFFSET + 70), so the test stack is left alone.
// The long run is `npm run chaos`.
import { formatReport, runChaos } from '../../../scripts/chaos/chaos';
import { testConfig } from '../../support/test-stack';

test('a short chaos run: every invariant holds', async () => {
  const report = await runChaos({
    seed: 20261122,
    durationMs: 0,
    killEachOnce: true,
    portOffset: testConfig().TEST_STACK_PORT_OFFSET + 70,
    rate: 3,
    users: 4,
    settleMs: 90_000,
    log: (line) => process.stderr.write(`[chaos] ${line}\n`),
  });
  process.stderr.write(`${formatReport(report)}\n`);
  expect(report.invariants.map((i) => [i.name, i.violations])).toEqual(
    report.invariants.map((i) => [i.name, []]),
  );
  expect(report.orders.accepted).toBeGreaterThan(20);
  expect(report.kills).toEqual({
    api: 1,
    worker: 1,
    consumer: 1,
    'order-events-consumer': 1,
    kafka: 1,
    redis: 1,
    temporal: 1,
  });
  // The read side's invariant ran and looked at every accepted order.
  const listing = report.invariants.find((i) => i.name.startsWith('GET /orders'));
  expect(listing?.checked).toBe(report.orders.accepted);
}, 300_000);
