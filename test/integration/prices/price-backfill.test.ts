// The price-fetch schedule: created and updated idempotently, a run for an explicit minute, and the
// exact backfill command README documents filling a gap, each minute with that minute's price.
import { spawnSync } from 'node:child_process';
import { priceIndexKey } from '../../../lib/store/keys';
import { readPriceHistory } from '../../../lib/store/price-history';
import { PRICE_FETCH_WORKFLOW } from '../../../lib/contracts/price-fetch';
import { ensurePriceSchedule, type PriceScheduleOptions } from '../../../lib/prices/schedule';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { scheduleBackfillArgs, temporalBinary } from '../../../scripts/stack/tools';
import { randomStockId, waitFor } from '../../support/price-helpers';
import { startPricePipeline, type PricePipeline } from '../../support/price-pipeline';
import { testConfig } from '../../support/test-stack';

const cfg = testConfig();
let p: PricePipeline;
let schedule: PriceScheduleOptions;

beforeAll(async () => {
  p = await startPricePipeline([randomStockId(), randomStockId(), randomStockId()]);
  await p.startWorker();
  schedule = {
    scheduleId: cfg.PRICE_SCHEDULE_ID, // "price-fetch", as in the documented command
    taskQueue: p.taskQueue,
    spec: { intervals: [{ every: '1m' }] },
    catchupWindowMs: cfg.PRICE_CATCHUP_WINDOW,
  };
});

afterAll(async () => {
  await p.client.schedule
    .getHandle(schedule.scheduleId)
    .delete()
    .catch(() => undefined);
  await p.close();
});

const MINUTE = 60_000;
const minutesOf = async (id: string, from: number, to: number) =>
  (await readPriceHistory(p.redis, id, new Date(from), new Date(to))).map((t) => [t.minute, t.price]);
const expected = (id: string, minutes: number[]) =>
  minutes.map((m) => [new Date(m).toISOString(), simulatedTick(id, new Date(m)).price]);

test('the schedule is created, then updated in place, with an explicit catch-up window and ALLOW_ALL', async () => {
  await p.client.schedule
    .getHandle(schedule.scheduleId)
    .delete()
    .catch(() => undefined);
  expect(await ensurePriceSchedule(p.client, { ...schedule, catchupWindowMs: 3_600_000 })).toBe('created');
  expect(await ensurePriceSchedule(p.client, schedule)).toBe('updated');
  const d = await p.client.schedule.getHandle(schedule.scheduleId).describe();
  expect(d.policies.overlap).toBe('ALLOW_ALL');
  expect(d.policies.catchupWindow).toBe(cfg.PRICE_CATCHUP_WINDOW);
  expect(d.action).toEqual(
    expect.objectContaining({ workflowType: PRICE_FETCH_WORKFLOW, taskQueue: p.taskQueue }),
  );
});

test('a run started by hand records the minute it is given, with a small history whatever the watch list', async () => {
  const many = Array.from({ length: 300 }, randomStockId);
  const saved = p.stocks;
  p.stocks = many;
  try {
    const minute = Date.UTC(2025, 9, 8, 6, 30);
    const handle = await p.client.workflow.start(PRICE_FETCH_WORKFLOW, {
      taskQueue: p.taskQueue,
      workflowId: `test-price-fetch-by-hand-${many[0]}`,
      args: [{ minute: new Date(minute + 42_000).toISOString() }], // any time in the minute
    });
    expect(await handle.result()).toEqual(
      expect.objectContaining({ minute: new Date(minute).toISOString(), stocks: 300, published: 300 }),
    );
    const history = await handle.fetchHistory();
    expect(JSON.stringify(history).length).toBeLessThan(20_000); // no tick list in history
    await waitFor(
      'the 300 ticks',
      async () => {
        const pl = p.redis.pipeline();
        for (const id of many) pl.zcard(priceIndexKey(id));
        return ((await pl.exec()) ?? []).every(([, n]) => n === 1);
      },
      30_000,
    );
    expect(await minutesOf(many[7], minute, minute)).toEqual(expected(many[7], [minute]));
  } finally {
    p.stocks = saved;
  }
});

test('temporal schedule backfill, exactly as documented, fills a gap with each minute’s price', async () => {
  // A gap on purpose: half an hour ago, before the schedule existed, nothing was recorded.
  const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
  const t1 = t0 + 4 * MINUTE;
  for (const id of p.stocks) expect(await minutesOf(id, t0 - 5 * MINUTE, t1 + 5 * MINUTE)).toEqual([]);

  const args = scheduleBackfillArgs('price-fetch', t0, t1, cfg.TEMPORAL_ADDRESS);
  const r = spawnSync(temporalBinary(), args, { encoding: 'utf8', timeout: 30_000 });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });

  // Backfill covers start ≤ minute ≤ end: t0, t0+1, …, t1.
  const gap = [0, 1, 2, 3, 4].map((i) => t0 + i * MINUTE);
  for (const id of p.stocks) {
    await waitFor(
      `the backfilled minutes of ${id}`,
      async () => (await minutesOf(id, t0, t1)).length === gap.length,
      60_000,
    );
    expect(await minutesOf(id, t0 - 5 * MINUTE, t1 + 5 * MINUTE)).toEqual(expected(id, gap));
  }
});
