// Price scenarios of `npm run bench` (scripts/bench.ts), on the stack the given configuration points at:
//  - ingest: the price consumer's ticks/s into Redis from a pre-filled topic, next to
//    `redis-benchmark -q -t set -P 16` on the same Redis in the same run, for scale;
//  - catch-up: a gap for N simulated stocks filled with the documented `temporal schedule backfill`
//    command on the running `price-fetch` schedule (the real worker and consumer processes), timed
//    until every (stock, minute) is in Redis;
//  - catch-up by workflow: the same gap for N other new stocks filled by the priceBackfill workflow
//    (what `npm run prices:backfill` starts), timed the same way;
//  - freshness: for the live schedule, the delay from each scheduled minute to its ticks in Redis.
import { spawnSync } from 'node:child_process';
import { Partitioners } from 'kafkajs';
import type { Config } from '../../lib/infra/config';
import { createKafka } from '../../lib/infra/kafka';
import { BACKFILL_DEFAULTS, isoMinute } from '../../lib/prices/backfill-plan';
import { priceIndexKey, WATCHLIST_KEY } from '../../lib/store/keys';
import { createLogger } from '../../lib/infra/logger';
import { startPriceConsumer } from '../../lib/prices/ingest/consumer';
import { simulatedTick } from '../../lib/prices/sources/simulated';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { TASK_QUEUES } from '../../lib/contracts/task-queues';
import { createTemporalClient } from '../../lib/infra/temporal';
import { startPriceBackfill } from '../ops/backfill-prices';
import { say, sleep, stats, type Stats } from './bench-lib';
import { temporalBinary } from '../stack/local-stack';

const log = createLogger('bench', 'warn');
const MINUTE = 60_000;
const stockIds = (n: number, prefix: string) =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}${String(Date.now() % 1e8).padStart(8, '0')}${String(i).padStart(6, '0')}`,
  );

async function countStored(redis: Redis, ids: string[], from: number, to: number): Promise<number> {
  const p = redis.pipeline();
  for (const id of ids) p.zcount(priceIndexKey(id), from, to);
  return ((await p.exec()) ?? []).reduce((n, [, c]) => n + Number(c), 0);
}

/** `redis-benchmark -q -t set -P 16`: Redis's own pipelined SET rate, requests/s. */
function redisBenchmarkSet(cfg: Config, requests = 1_000_000): number {
  const r = spawnSync(
    'redis-benchmark',
    ['-q', '-t', 'set', '-P', '16', '-n', String(requests), '-p', String(cfg.redisPort)],
    { encoding: 'utf8' },
  );
  const line = `${r.stdout}`
    .split(/\r|\n/)
    .filter((l) => l.includes('requests per second'))
    .pop();
  const rps = Number(/([\d.]+) requests per second/.exec(line ?? '')?.[1]);
  if (!rps) throw new Error(`redis-benchmark failed: ${r.stderr}${r.stdout}`);
  return Math.round(rps);
}

export interface IngestFigures {
  ticks: number;
  stored: number;
  produceTicksPerSecond: number;
  ingestSecondsIncludingGroupJoin: number;
  ingestTicksPerSecond: number;
  redisBenchmarkSetP16PerSecond: number;
  /** ingest ticks/s ÷ redis-benchmark SET/s (target ≥ 0.5). */
  ratioToRedisBenchmark: number;
}

/** Fills a fresh 6-partition topic, then times one consumer (6 partitions at once) writing it all. */
export async function benchIngest(
  cfg: Config,
  { stocks: stockCount, minutes }: { stocks: number; minutes: number },
): Promise<IngestFigures> {
  const stocks = stockIds(stockCount, '81');
  const total = stocks.length * minutes;
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const topic = `bench-stock-prices-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  say(`ingest: filling ${topic} with ${total} ticks (${stocks.length} stocks × ${minutes} minutes)`);
  const t0 = Date.UTC(2025, 9, 8, 0, 0);
  let sent = 0;
  const producing = Date.now();
  for (let m = 0; m < minutes; m += 3) {
    const batch = [];
    for (let k = m; k < Math.min(m + 3, minutes); k++) {
      for (const id of stocks)
        batch.push({ key: id, value: JSON.stringify(simulatedTick(id, new Date(t0 + k * MINUTE))) });
    }
    await producer.send({ topic, messages: batch });
    sent += batch.length;
  }
  const produceSeconds = (Date.now() - producing) / 1000;
  await producer.disconnect();

  let written = 0;
  let firstWrite = 0;
  const started = Date.now();
  const running = await startPriceConsumer({
    kafka,
    redis,
    log,
    topic,
    groupId: `bench-${topic}`,
    concurrency: 6,
    maxAttempts: 3,
    fromBeginning: true,
    onWritten: (n) => {
      if (!firstWrite) firstWrite = Date.now();
      written += n;
    },
  });
  while (written < total) await sleep(50);
  const done = Date.now();
  await running.stop();
  const stored = await countStored(redis, stocks, t0, t0 + minutes * MINUTE);
  const result = {
    ticks: total,
    stored,
    produceTicksPerSecond: Math.round(sent / produceSeconds),
    ingestSecondsIncludingGroupJoin: (done - started) / 1000,
    ingestTicksPerSecond: Math.round(total / ((done - firstWrite) / 1000)),
    redisBenchmarkSetP16PerSecond: redisBenchmarkSet(cfg),
    ratioToRedisBenchmark: 0,
  };
  result.ratioToRedisBenchmark =
    Math.round((result.ingestTicksPerSecond / result.redisBenchmarkSetP16PerSecond) * 1000) / 1000;
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  redis.disconnect();
  return result;
}

/** `count` new simulated stock ids, added to the watch list the live schedule fetches. */
export async function watchNewStocks(cfg: Config, count: number): Promise<string[]> {
  const stocks = stockIds(count, '82');
  const redis = createRedis(cfg);
  await redis.sadd(WATCHLIST_KEY, ...stocks);
  redis.disconnect();
  return stocks;
}

/** Takes stocks off the watch list again (so the next figure fetches only its own new stocks). */
export async function unwatchStocks(cfg: Config, stocks: readonly string[]): Promise<void> {
  if (stocks.length === 0) return;
  const redis = createRedis(cfg);
  await redis.srem(WATCHLIST_KEY, ...stocks);
  redis.disconnect();
}

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
    [
      'schedule',
      'backfill',
      '--schedule-id',
      cfg.PRICE_SCHEDULE_ID,
      '--start-time',
      new Date(start).toISOString(),
      '--end-time',
      new Date(end).toISOString(),
      '--overlap-policy',
      'AllowAll',
      '--address',
      cfg.TEMPORAL_ADDRESS,
    ],
    { encoding: 'utf8' },
  );
  if (cli.status !== 0) throw new Error(`backfill failed: ${cli.stderr}`);
  return await untilStored(cfg, stocks, { start, end, minutes }, started);
}

/** The bench's gap: `hours` of whole minutes ending two minutes ago, both ends included. */
function gapOf(hours: number): { start: number; end: number; minutes: number } {
  const end = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE;
  const start = end - hours * 60 * MINUTE + MINUTE;
  return { start, end, minutes: (end - start) / MINUTE + 1 };
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

export interface FreshnessFigures {
  stocks: number;
  minutesObserved: number;
  /** Scheduled minute → tick readable in Redis, per (stock, minute); resolution: the poll interval. */
  delayMs: Stats;
  pollIntervalMs: number;
  missing: number;
}

/**
 * The live schedule: for each of the next `minutes` minute boundaries M, polls Redis every
 * `pollMs` for each stock's tick of minute M and records when it first became readable, minus M.
 */
export async function benchFreshness(
  cfg: Config,
  { stocks, minutes, pollMs = 50 }: { stocks: string[]; minutes: number; pollMs?: number },
): Promise<FreshnessFigures> {
  const redis = createRedis(cfg);
  const delays: number[] = [];
  let missing = 0;
  for (let k = 0; k < minutes; k++) {
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    say(`freshness: waiting for minute ${new Date(minute).toISOString()} (${k + 1}/${minutes})`);
    await sleep(minute - Date.now() - 200);
    const pending = new Set(stocks);
    while (pending.size > 0 && Date.now() < minute + 55_000) {
      const ids = [...pending];
      const p = redis.pipeline();
      for (const id of ids) p.zcount(priceIndexKey(id), minute, minute);
      const res = (await p.exec()) ?? [];
      const now = Date.now();
      ids.forEach((id, i) => {
        if (Number(res[i]?.[1]) > 0) {
          pending.delete(id);
          delays.push(now - minute);
        }
      });
      await sleep(pollMs);
    }
    missing += pending.size;
  }
  redis.disconnect();
  return {
    stocks: stocks.length,
    minutesObserved: minutes,
    delayMs: stats(delays),
    pollIntervalMs: pollMs,
    missing,
  };
}
