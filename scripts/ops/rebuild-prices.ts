// `npm run prices:rebuild`: rebuilds the Redis price history from Kafka `stock-prices` — the
// disaster-recovery path when Redis is lost. A new consumer group reads the topic from its earliest
// offset up to the end it had when the command started, through the same ingest code as the price
// consumer (so replays stay harmless and "latest" stays the newest minute), then exits.
// Relies on the topic keeping every tick: retention.ms=-1 (lib/kafka.ts, set by ensureTopics).
import { setTimeout as sleep } from 'node:timers/promises';
import { config } from '../../lib/infra/config';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { startPriceConsumer } from '../../lib/prices/ingest/consumer';
import { createRedis } from '../../lib/infra/redis';

export const command = {
  usage: 'npm run prices:rebuild --',
  summary:
    "rebuilds Redis's price history from Kafka stock-prices (earliest offset to the end at start), then exits",
  options: {
    group: {
      kind: 'string',
      description: 'consumer group to use (default: a new <PRICE_CONSUMER_GROUP>-rebuild-<time>)',
    },
  },
} as const satisfies CommandSpec;

async function main({ values }: Parsed<typeof command.options>): Promise<void> {
  const cfg = config();
  const log = createLogger('prices-rebuild', cfg.LOG_LEVEL);
  const groupId = values.group ?? `${cfg.PRICE_CONSUMER_GROUP}-rebuild-${Date.now()}`;
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const started = Date.now();
  const ends = await admin.fetchTopicOffsets(TOPICS.prices);
  const target = ends.reduce((n, p) => n + (BigInt(p.high) - BigInt(p.low)), 0n);
  log.info('rebuilding the price history from Kafka', {
    topic: TOPICS.prices,
    groupId,
    messages: target.toString(),
  });

  let written = 0;
  const running = await startPriceConsumer({
    kafka,
    redis,
    log,
    groupId,
    concurrency: cfg.PRICE_CONSUMER_CONCURRENCY,
    maxAttempts: cfg.PRICE_CONSUMER_MAX_ATTEMPTS,
    retentionMs: cfg.PRICE_HISTORY_RETENTION,
    fromBeginning: true,
    onWritten: (n) => (written += n),
    onFatal: (err) => {
      log.error('rebuild consumer failed', { err });
      process.exit(1);
    },
  });

  // Done when the group's committed offset has reached, on every partition, the end seen at start.
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [TOPICS.prices] });
    const pending = ends.filter((end) => {
      const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return BigInt(end.high) > BigInt(end.low) && BigInt(c) < BigInt(end.high);
    });
    if (pending.length === 0) break;
    await sleep(500);
  }
  await running.stop();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  redis.disconnect();
  const seconds = (Date.now() - started) / 1000;
  log.info('price history rebuilt', {
    ticks: written,
    seconds,
    ticksPerSecond: Math.round(written / seconds),
  });
}

if (require.main === module) runCommand(command, main);
