// `npm run bench`'s catch-up figures: a gap for N simulated stocks filled with the documented
// `temporal schedule backfill` on the running `price-fetch` schedule, and the same gap for N other new
// stocks filled by the priceBackfill workflow (what `npm run prices:backfill` starts); each timed until
// every (stock, minute) is in Redis.
import { spawnSync } from 'node:child_process';
import type { Config } from '../../lib/infra/config';
import { createRedis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { TASK_QUEUES } from '../../lib/contracts/task-queues';
import { BACKFILL_DEFAULTS, isoMinute } from '../../lib/prices/backfill-plan';
import { startPriceBackfill } from '../ops/backfill-prices';
import { scheduleBackfillArgs, temporalBinary } from '../stack/tools';
import { say, sleep } from './bench-lib';
import { countStored, gapOf, MINUTE, watchNewStocks } from './prices-common';

export interface CatchupFigures {
  stocks: number;
  minutes: number;
  expectedTicks: number;
  storedTicks: number;
  seconds: number;
  secondsAtQuarter: Record<string, number>;
  ticksPerSecond: number;
}

/**
 * A gap of `hours` for `stocks` new simulated stocks, filled as an operator would: the stocks join the
 * watch list and `temporal schedule backfill` runs on the live schedule, served by the real worker
 * and consumer processes. Timed until Redis holds every (stock, minute) of the gap.
 */
export async function benchCatchup(
  cfg: Config,
  { stocks: stockCount, hours, stocksOut }: { stocks: number; hours: number; stocksOut?: string[] },
): Promise<CatchupFigures> {
  const stocks = await watchNewStocks(cfg, stockCount);
  stocksOut?.push(...stocks);
  const { start, end, minutes } = gapOf(hours);
  say(
    `catch-up: backfilling ${hours} h (${minutes} minutes) for ${stocks.length} stocks = ${stocks.length * minutes} ticks`,
  );
  const started = Date.now();
  const cli = spawnSync(
    temporalBinary(),
    scheduleBackfillArgs(cfg.PRICE_SCHEDULE_ID, start, end, cfg.TEMPORAL_ADDRESS),
    { encoding: 'utf8' },
  );
  if (cli.status !== 0) throw new Error(`backfill failed: ${cli.stderr}`);
  return await untilStored(cfg, stocks, { start, end, minutes }, started);
}

/** Polls Redis every second until every (stock, minute) of the gap is there, or nothing arrived for 2 minutes. */
async function untilStored(
  cfg: Config,
  stocks: string[],
  { start, end, minutes }: { start: number; end: number; minutes: number },
  started: number,
): Promise<CatchupFigures> {
  const redis = createRedis(cfg);
  const expected = stocks.length * minutes;
  let stored = 0;
  let lastProgress = Date.now();
  let lastStored = -1;
  const marks: Record<string, number> = {};
  while (stored < expected) {
    await sleep(1_000);
    stored = await countStored(redis, stocks, start, end);
    if (stored !== lastStored) {
      lastStored = stored;
      lastProgress = Date.now();
    }
    for (const q of [0.25, 0.5, 0.75])
      if (!marks[q] && stored >= expected * q) marks[q] = (Date.now() - started) / 1000;
    if (Date.now() - lastProgress > 120_000) break; // stalled: report what arrived
  }
  const seconds = (Date.now() - started) / 1000;
  redis.disconnect();
  return {
    stocks: stocks.length,
    minutes,
    expectedTicks: expected,
    storedTicks: stored,
    seconds,
    secondsAtQuarter: marks,
    ticksPerSecond: Math.round(stored / seconds),
  };
}

export interface CatchupWorkflowFigures extends CatchupFigures {
  workflowId: string;
  blockMinutes: number;
  parallel: number;
  /** Start → the workflow's result (every tick published to Kafka; Redis may still be catching up). */
  workflowSeconds?: number;
  published?: number;
}

/**
 * The same gap as benchCatchup, for `stocks` other new simulated stocks, filled by the priceBackfill
 * workflow on the prices task queue (as `npm run prices:backfill` starts it), served by the real
 * worker and consumer processes. Timed the same way: until Redis holds every (stock, minute).
 */
export async function benchCatchupWorkflow(
  cfg: Config,
  {
    stocks: stockCount,
    hours,
    blockMinutes = BACKFILL_DEFAULTS.blockMinutes,
    parallel = BACKFILL_DEFAULTS.parallel,
    stocksOut,
  }: { stocks: number; hours: number; blockMinutes?: number; parallel?: number; stocksOut?: string[] },
): Promise<CatchupWorkflowFigures> {
  const stocks = await watchNewStocks(cfg, stockCount);
  stocksOut?.push(...stocks);
  const gap = gapOf(hours);
  say(
    `catch-up by workflow: priceBackfill of ${hours} h (${gap.minutes} minutes, blocks of ${blockMinutes}, ` +
      `${parallel} at once) for ${stocks.length} stocks = ${stocks.length * gap.minutes} ticks`,
  );
  const client = createTemporalClient(cfg);
  try {
    const started = Date.now();
    const handle = await startPriceBackfill(
      client,
      { from: isoMinute(gap.start), to: isoMinute(gap.end + MINUTE), blockMinutes, parallel },
      TASK_QUEUES.prices,
    );
    let workflowSeconds: number | undefined;
    let published: number | undefined;
    let measured = false;
    const finished = handle.result().then(
      (r) => {
        workflowSeconds = (Date.now() - started) / 1000;
        published = r.published;
      },
      (err: unknown) => {
        if (!measured) say(`catch-up by workflow: ${handle.workflowId} failed: ${(err as Error).message}`);
      },
    );
    const figures = await untilStored(cfg, stocks, gap, started);
    await Promise.race([finished, sleep(5_000)]);
    measured = true;
    return { ...figures, workflowId: handle.workflowId, blockMinutes, parallel, workflowSeconds, published };
  } finally {
    await client.connection.close();
  }
}
