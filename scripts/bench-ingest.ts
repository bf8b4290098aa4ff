// `npm run bench:ingest`: throughput figures on a running stack (`npm run stack:up`, or any stack the
// configuration points at). Not a pass/fail test.
//  1. ingest: the price consumer's ticks/s into Redis from a pre-filled topic, next to
//     `redis-benchmark -q -t set -P 16` on the same Redis in the same run, for scale;
//  2. catch-up: a 24 h gap for 700 simulated stocks filled with the documented `temporal schedule
//     backfill` command, timed until every (stock, minute) is in Redis.
// Usage: tsx scripts/bench-ingest.ts [ingest|catchup|all] [--stocks 700] [--minutes 300] [--hours 24]
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, Runtime, DefaultLogger } from '@temporalio/worker';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { createPriceActivities } from '../activities/price-activities';
import { config } from '../lib/config';
import { createKafka, TOPICS } from '../lib/kafka';
import { priceIndexKey } from '../lib/keys';
import { createLogger } from '../lib/logger';
import { startPriceConsumer } from '../lib/price-ingest';
import { createPricePublisher } from '../lib/price-publisher';
import { ensurePriceSchedule } from '../lib/price-schedule';
import { createSimulatedSource, simulatedTick } from '../lib/price-sources/simulated';
import { createRedis, type Redis } from '../lib/redis';
import { createTemporalClient } from '../lib/temporal';
import { ROOT, temporalBinary } from './local-stack';

const cfg = config();
const log = createLogger('bench', 'warn');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const say = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);
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

function redisBenchmark(): string {
  const r = spawnSync(
    'redis-benchmark',
    ['-q', '-t', 'set', '-P', '16', '-n', '1000000', '-p', String(cfg.redisPort)],
    {
      encoding: 'utf8',
    },
  );
  const line = `${r.stdout}`
    .split(/\r|\n/)
    .filter((l) => l.includes('requests per second'))
    .pop();
  return line?.trim() ?? `redis-benchmark failed: ${r.stderr}`;
}

async function benchIngest(): Promise<Record<string, unknown>> {
  const stocks = stockIds(arg('stocks', 700), '81');
  const minutes = arg('minutes', 300);
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
  while (written < total) await new Promise((r) => setTimeout(r, 50));
  const done = Date.now();
  await running.stop();
  const stored = await countStored(redis, stocks, t0, t0 + minutes * MINUTE);
  const result = {
    ticks: total,
    stored,
    produceTicksPerSecond: Math.round(sent / produceSeconds),
    ingestSecondsIncludingGroupJoin: (done - started) / 1000,
    ingestTicksPerSecond: Math.round(total / ((done - firstWrite) / 1000)),
    redisBenchmarkSetP16: redisBenchmark(),
  };
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  redis.disconnect();
  return result;
}

async function benchCatchup(): Promise<Record<string, unknown>> {
  const stocks = stockIds(arg('stocks', 700), '82');
  const hours = arg('hours', 24);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const publisher = await createPricePublisher(kafka);
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `bench-catchup-${Date.now()}`;
  const offsets = await admin.fetchTopicOffsets(TOPICS.prices);
  await admin.setOffsets({
    groupId,
    topic: TOPICS.prices,
    partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })),
  });
  await admin.disconnect();
  const consumer = await startPriceConsumer({
    kafka,
    redis,
    log,
    groupId,
    concurrency: cfg.PRICE_CONSUMER_CONCURRENCY,
    maxAttempts: 3,
    fromBeginning: false,
  });
  const taskQueue = `bench-prices-${Date.now()}`;
  const scheduleId = `bench-price-fetch-${Date.now()}`;
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: new DefaultLogger('ERROR'),
    }),
    activities: createPriceActivities({
      source: createSimulatedSource(),
      publisher,
      watchList: async () => stocks,
      log,
    }),
    maxConcurrentActivityTaskExecutions: cfg.WORKER_MAX_CONCURRENT_ACTIVITIES,
  });
  const workerRun = worker.run();
  const client: Client = createTemporalClient(cfg);
  await ensurePriceSchedule(client, {
    scheduleId,
    taskQueue,
    spec: { intervals: [{ every: '1m' }] },
    catchupWindowMs: 86_400_000,
  });

  const end = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE;
  const start = end - hours * 60 * MINUTE + MINUTE;
  const expected = stocks.length * ((end - start) / MINUTE + 1);
  say(
    `catch-up: backfilling ${hours} h (${(end - start) / MINUTE + 1} minutes) for ${stocks.length} stocks = ${expected} ticks`,
  );
  const started = Date.now();
  const cli = spawnSync(
    temporalBinary(),
    [
      'schedule',
      'backfill',
      '--schedule-id',
      scheduleId,
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
  let stored = 0;
  let lastProgress = Date.now();
  let lastStored = -1;
  const marks: Record<string, number> = {};
  while (stored < expected) {
    await new Promise((r) => setTimeout(r, 2_000));
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
  await client.schedule.getHandle(scheduleId).delete();
  worker.shutdown();
  await workerRun;
  await connection.close();
  await consumer.stop();
  await publisher.close();
  await client.connection.close();
  redis.disconnect();
  return {
    stocks: stocks.length,
    minutes: (end - start) / MINUTE + 1,
    expectedTicks: expected,
    storedTicks: stored,
    seconds,
    secondsAtQuarter: marks,
    ticksPerSecond: Math.round(stored / seconds),
  };
}

async function main(): Promise<void> {
  const what = process.argv[2] ?? 'all';
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    cpus: (await import('node:os')).cpus().length,
  };
  if (what === 'ingest' || what === 'all') results.ingest = await benchIngest();
  if (what === 'catchup' || what === 'all') results.catchup = await benchCatchup();
  const out = JSON.stringify(results, null, 2);
  say(out);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench-results', `prices-${Date.now()}.json`), out);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
