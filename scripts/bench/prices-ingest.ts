// `npm run bench`'s ingest figure: the price consumer's ticks/s into Redis from a pre-filled topic,
// next to `redis-benchmark -q -t set -P 16` on the same Redis in the same run, for scale.
import { spawnSync } from 'node:child_process';
import { Partitioners } from 'kafkajs';
import type { Config } from '../../lib/infra/config';
import { createKafka } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { createRedis } from '../../lib/infra/redis';
import { startPriceConsumer } from '../../lib/prices/ingest/consumer';
import { simulatedTick } from '../../lib/prices/sources/simulated';
import { say, sleep } from './bench-lib';
import { countStored, MINUTE, stockIds } from './prices-common';

const log = createLogger('bench', 'warn');

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
