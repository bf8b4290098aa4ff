// Outages, for real and in minutes: the worker stopped across two scheduled minutes, then the
// Temporal server itself stopped across two more (same db file). Every missed minute ends up in Redis
// once, with the price the source gives for that minute, and each minute ran exactly once.
import { startService, stopService } from '../../../scripts/stack/local-stack';
import { ensurePriceSchedule } from '../../../lib/prices/schedule';
import { readPriceHistory } from '../../../lib/store/price-history';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { randomStockId, sleep, waitFor } from '../../support/price-helpers';
import { startPricePipeline, type PricePipeline } from '../../support/price-pipeline';
import { testLog, testStackSpec } from '../../support/test-stack';

const MINUTE = 60_000;
const spec = testStackSpec();
let p: PricePipeline;
let scheduleId: string;

/** Sleeps until `boundaries` more minute boundaries have passed, plus a margin. */
async function sleepPastBoundaries(boundaries: number, marginMs = 3_000): Promise<number> {
  const last = Math.floor(Date.now() / MINUTE) * MINUTE + boundaries * MINUTE;
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
  p = await startPricePipeline([randomStockId(), randomStockId()]);
  scheduleId = `test-price-fetch-${p.stocks[0]}`;
});

afterAll(async () => {
  await p.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await p.close();
});

test('worker down 2 minutes, then Temporal down 2 minutes: every minute recorded once', async () => {
  const created = Date.now();
  await ensurePriceSchedule(p.client, {
    scheduleId,
    taskQueue: p.taskQueue,
    spec: { intervals: [{ every: '1m' }] },
    catchupWindowMs: 86_400_000,
  });
  const first = Math.ceil(created / MINUTE) * MINUTE;

  // 1. No worker at all while two minutes are due: the runs wait on the task queue.
  const workerBack = await sleepPastBoundaries(2);
  await p.startWorker();
  for (const id of p.stocks) {
    await waitFor(
      'the minutes missed by the worker',
      async () => (await recorded(id, first, workerBack)).length === 2,
      60_000,
    );
  }

  // 2. The Temporal server itself down while two more minutes are due: the schedule catches up.
  await stopService(spec, 'temporal', testLog);
  const serverBack = await sleepPastBoundaries(2);
  await startService(spec, 'temporal', testLog);
  for (const id of p.stocks) {
    await waitFor(
      'the minutes missed by the server',
      async () => (await recorded(id, first, serverBack)).length >= 4,
      90_000,
    );
  }

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
  expect(minutes.length).toBeGreaterThanOrEqual((serverBack - first) / MINUTE + 1);
}, 420_000);
