/** @stack own (test/support/lane-runner.ts): on a stack of its own, beside the test stack's files. */
// Outages, for real and in minutes: the worker stopped across two scheduled minutes, then the
// Temporal server itself stopped across two more (same db file). Every missed minute ends up in Redis
// once, with the price the source gives for that minute, and each minute ran exactly once.
// Its own stack on TEST_STACK_PORT_OFFSET + 100 (clear of the others: see supervisor-ha.test.ts), so the
// Temporal server it stops is no other file's, and its minutes of waiting pass beside the other files.
import { rmSync } from 'node:fs';
import {
  stackEnv,
  stackSpecFromConfig,
  startService,
  startStack,
  stopService,
  stopStack,
} from '../../../scripts/stack/local-stack';
import { ensurePriceSchedule } from '../../../lib/prices/schedule';
import { readPriceHistory } from '../../../lib/store/price-history';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { createKafka } from '../../../lib/infra/kafka';
import { newGroupAtEnd, randomStockId, sleep, waitFor } from '../../support/price-helpers';
import { startPricePipeline, type PricePipeline } from '../../support/price-pipeline';
import { testConfig, testLog } from '../../support/test-stack';

const MINUTE = 60_000;
const offset = testConfig().TEST_STACK_PORT_OFFSET + 100;
const stack = stackEnv(offset, `.stack/test-price-outage-${offset}`);
const spec = stackSpecFromConfig(testConfig(stack));
let p: PricePipeline;
let scheduleId: string;

const minuteOf = (t: number) => Math.floor(t / MINUTE) * MINUTE;

/**
 * The schedule fires once a minute at a second of our choosing, `firstFire` being its first: sleeps
 * until `fires` more of its fire times have passed, plus a margin, and answers the last of them.
 */
async function sleepPastFires(firstFire: number, fires: number, marginMs = 3_000): Promise<number> {
  const next = firstFire + Math.max(0, Math.ceil((Date.now() - firstFire) / MINUTE)) * MINUTE;
  const last = next + (fires - 1) * MINUTE;
  await sleep(last + marginMs - Date.now());
  return last;
}

const recorded = async (id: string, from: number, to: number) =>
  (await readPriceHistory(p.redis, id, new Date(from), new Date(to))).map((t) => [t.minute, t.price]);
const expected = (id: string, from: number, to: number) => {
  const out: [string, number][] = [];
  for (let m = from; m <= to; m += MINUTE)
    out.push([new Date(m).toISOString(), simulatedTick(id, new Date(m)).price]);
  return out;
};

beforeAll(async () => {
  rmSync(spec.dir, { recursive: true, force: true });
  await startStack(spec, testLog);
  // A fresh broker elects its partitions' leaders a moment after it has made the topics.
  const kafka = createKafka(testConfig(stack));
  await waitFor('leaders for the prices topic', async () => Boolean(await newGroupAtEnd(kafka)), 60_000);
  p = await startPricePipeline([randomStockId(), randomStockId()], stack);
  scheduleId = `test-price-fetch-${p.stocks[0]}`;
}, 300_000);

afterAll(async () => {
  await p?.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await p?.close();
  await stopStack(spec, testLog);
}, 120_000);

test('worker down 2 minutes, then Temporal down 2 minutes: every minute recorded once', async () => {
  const phase = (what: string) => testLog(`price-outage: ${what}`);
  // One run a minute, as in production, but at the second ten seconds from now rather than at the
  // whole minute: the first run is due at once instead of up to a minute later. Each run records the
  // minute it falls in, so each still records a minute of its own.
  const second = (Math.floor(Date.now() / 1_000) + 10) % 60;
  await ensurePriceSchedule(p.client, {
    scheduleId,
    taskQueue: p.taskQueue,
    spec: { intervals: [{ every: '1m', offset: `${second}s` }] },
    catchupWindowMs: 86_400_000,
  });
  const [next] = (await p.client.schedule.getHandle(scheduleId).describe()).info.nextActionTimes;
  const firstFire = next.getTime();
  const first = minuteOf(firstFire);

  // 1. No worker at all while two minutes are due: the runs wait on the task queue.
  const workerBack = await sleepPastFires(firstFire, 2);
  phase('two runs due without a worker; starting it');
  await p.startWorker();
  for (const id of p.stocks) {
    await waitFor(
      'the minutes missed by the worker',
      async () => (await recorded(id, first, workerBack)).length === 2,
      60_000,
    );
  }

  // 2. The Temporal server itself down while two more minutes are due: the schedule catches up.
  phase('both recorded; stopping the Temporal server');
  await stopService(spec, 'temporal', testLog);
  const serverBack = await sleepPastFires(firstFire, 2);
  await startService(spec, 'temporal', testLog);
  phase('two runs due with the server down; started it again');
  for (const id of p.stocks) {
    await waitFor(
      'the minutes missed by the server',
      async () => (await recorded(id, first, serverBack)).length >= 4,
      90_000,
    );
  }
  phase('all four recorded');

  for (const id of p.stocks) {
    expect(await recorded(id, first - MINUTE, serverBack)).toEqual(expected(id, first, serverBack));
  }
  // Exactly one run per scheduled minute (visibility lists the schedule's runs).
  const runs: string[] = [];
  for await (const wf of p.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) {
    runs.push(wf.workflowId);
  }
  const minutes = runs.map((id) => id.slice(scheduleId.length + 1)).sort();
  expect(new Set(minutes).size).toBe(minutes.length);
  expect(minutes.length).toBeGreaterThanOrEqual((minuteOf(serverBack) - first) / MINUTE + 1);
}, 420_000);
