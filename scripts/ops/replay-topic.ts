// Rebuilding a Redis read model from its Kafka topic: a new consumer group reads the topic from the
// earliest offset up to the end it had when the command started, through the consumer's own code,
// then stops and deletes its group. Used by prices:rebuild and orders:rebuild.
import type { Kafka } from 'kafkajs';
import { config, type Config } from '../../lib/infra/config';
import { createKafka } from '../../lib/infra/kafka';
import { createLogger, type Logger } from '../../lib/infra/logger';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { sleep } from '../wait';

export interface ReplayConsumer {
  stop(): Promise<void>;
}

export interface Replay {
  /** The logger's name, and what the log lines call the read model ("price history"). */
  name: string;
  what: string;
  topic: string;
  groupId: (cfg: Config) => string;
  /** Starts the consumer (fromBeginning, in `groupId`); `count(n)` after each write; `fail` if it dies. */
  start(deps: {
    cfg: Config;
    kafka: Kafka;
    redis: Redis;
    log: Logger;
    groupId: string;
    count: (n: number) => void;
    fail: (err: Error) => void;
  }): Promise<ReplayConsumer>;
}

export async function replayTopic(r: Replay): Promise<void> {
  const cfg = config();
  const log = createLogger(r.name, cfg.LOG_LEVEL);
  const groupId = r.groupId(cfg);
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const started = Date.now();
  const ends = await admin.fetchTopicOffsets(r.topic);
  const target = ends.reduce((n, p) => n + (BigInt(p.high) - BigInt(p.low)), 0n);
  log.info(`rebuilding the ${r.what} from Kafka`, { topic: r.topic, groupId, messages: target.toString() });
  let handled = 0;
  const running = await r.start({
    cfg,
    kafka,
    redis,
    log,
    groupId,
    count: (n) => (handled += n),
    fail: (err) => {
      log.error('rebuild consumer failed', { err });
      process.exit(1);
    },
  });
  // Done when the group's committed offset has reached, on every partition, the end seen at start.
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [r.topic] });
    const pending = ends.filter((end) => {
      const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return BigInt(end.high) > BigInt(end.low) && BigInt(c) < BigInt(end.high);
    });
    if (pending.length === 0) break;
    await sleep(300);
  }
  await running.stop();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  redis.disconnect();
  const seconds = (Date.now() - started) / 1000;
  log.info(`${r.what} rebuilt`, { messages: handled, seconds, perSecond: Math.round(handled / seconds) });
}
