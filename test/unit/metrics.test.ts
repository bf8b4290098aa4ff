// The metric helpers: outcome and failure kind of a final order event, dead-letter reasons as a
// bounded label set, series exported at 0 before the first event, and logs keeping stack and cause.
import { createLogger } from '../../lib/infra/logger';
import { createApiMetrics, createOrderMetrics, createRegistry, failureKind } from '../../lib/infra/metrics';
import { createPriceIngestMetrics, deadLetterReason } from '../../lib/prices/metrics';
import { parseTickMessage } from '../../lib/prices/ingest/parse';
import type { OrderEvent, OrderPhase, OrderState } from '../../lib/contracts/orders';

const state = (phase: OrderPhase, reason?: string): OrderState => ({
  orderId: 'o1',
  user: 'u1',
  stockId: '44891482026867833',
  quantity: 1,
  phase,
  status: '',
  reason,
  receivedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const event = (after: OrderState): OrderEvent => ({
  eventId: 'o1:1',
  orderId: 'o1',
  seq: 1,
  before: state('inProgress'),
  after,
});

test("a failed order's kind comes from the reason the workflow recorded", () => {
  expect(failureKind('the verifier answered no')).toBe('refusal');
  expect(failureKind('verification timed out after 60000 ms')).toBe('timeout');
  expect(failureKind('verification failed: HTTP 400')).toBe('error');
  expect(failureKind(undefined)).toBe('error');
});

test('final events count by outcome and failure kind, with their lead time; others are ignored', async () => {
  const registry = createRegistry();
  const m = createOrderMetrics(registry);
  const received = Date.parse('2026-01-01T00:00:00.000Z');
  m.orderFinal(event(state('inProgress')), received + 1_000);
  m.orderFinal(event(state('failed', 'verification timed out after 60000 ms')), received + 61_000);
  m.orderFinal(event(state('succeeded')), received + 2_000);
  const text = await registry.metrics();
  expect(text).toContain('bourse_orders_final_total{outcome="failed",failure="timeout"} 1');
  expect(text).toContain('bourse_orders_final_total{outcome="succeeded",failure="none"} 1');
  // Exported at 0 before any such order, so rate() sees the first one.
  expect(text).toContain('bourse_orders_final_total{outcome="denied",failure="none"} 0');
  expect(text).toContain('bourse_order_lead_time_seconds_sum{outcome="failed"} 61');
  expect(text).toContain('bourse_order_lead_time_seconds_count{outcome="succeeded"} 1');
  expect(text).not.toContain('outcome="inProgress"');
});

test('dead-letter reasons are a few fixed words, one for each reason the parser gives', async () => {
  const reasons = [
    { value: null },
    { value: Buffer.from('not json {') },
    { value: Buffer.from('{"stockId":"1"}') },
  ].map((m) => {
    const parsed = parseTickMessage({ key: null, value: m.value });
    if (parsed.ok) throw new Error('expected a rejection');
    return deadLetterReason(parsed.reason);
  });
  expect(reasons).toEqual(['empty', 'not_json', 'invalid']);
  expect(deadLetterReason('Redis rejected the write: OOM')).toBe('store_rejected');
  const registry = createRegistry();
  createPriceIngestMetrics(registry);
  expect(await registry.metrics()).toContain(
    'bourse_dead_letters_total{topic="stock-prices",reason="not_json"} 0',
  );
});

test('process defaults carry no name prefix', async () => {
  const text = await createApiMetrics().registry.metrics();
  expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  expect(text).not.toContain('bourse_api_');
  expect(text).toMatch(/^bourse_credit_check_duration_seconds_count 0$/m);
});

test("logs keep an error's stack and its cause", () => {
  const lines: string[] = [];
  const log = createLogger('t', 'info', {}, (l) => lines.push(l));
  const err = new Error('outer', { cause: new Error('inner') });
  log.error('failed', { err });
  const out = JSON.parse(lines[0]) as {
    err: { message: string; stack: string; cause: { message: string; stack: string } };
  };
  expect(out.err.message).toBe('outer');
  expect(out.err.stack).toContain('metrics.test.ts');
  expect(out.err.cause.message).toBe('inner');
  expect(out.err.cause.stack).toContain('Error: inner');
});
