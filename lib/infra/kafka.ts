// The one way bourse talks to Kafka: client, topic names and their settings.
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Config } from './config';
import { createLogger } from './logger';

export const TOPICS = {
  prices: 'stock-prices',
  pricesDlq: 'stock-prices.dlq',
  orderEvents: 'order-events',
  orderEventsDlq: 'order-events.dlq',
} as const;

/**
 * The price topic keeps every tick forever (retention.ms = -1): it is the source the Redis price
 * history is rebuilt from after a Redis loss. A tick is ~300 bytes, so 700 stocks × 1,440 minutes
 * is ~300 MB a day before compression; bound it with retention.bytes if the disk is small.
 */
export const TOPIC_SPECS: ITopicConfig[] = [
  { topic: TOPICS.prices, numPartitions: 6, configEntries: [{ name: 'retention.ms', value: '-1' }] },
  {
    topic: TOPICS.pricesDlq,
    numPartitions: 1,
    configEntries: [{ name: 'retention.ms', value: '2592000000' }],
  },
  { topic: TOPICS.orderEvents, numPartitions: 6, configEntries: [{ name: 'retention.ms', value: '-1' }] },
  {
    topic: TOPICS.orderEventsDlq,
    numPartitions: 1,
    configEntries: [{ name: 'retention.ms', value: '2592000000' }],
  },
];

const kafkaLog = createLogger('kafkajs');
const levelName: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(
  cfg: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  opts: { connectionTimeout?: number; retries?: number } = {},
): Kafka {
  return new Kafka({
    clientId: cfg.KAFKA_CLIENT_ID,
    brokers: [...cfg.KAFKA_BROKERS],
    connectionTimeout: opts.connectionTimeout ?? 3_000,
    // Retries at most a second apart (KafkaJS's default doubles up to 30 s): after a broker dies, the
    // first retry after its partitions' new leaders are elected (~4 s, see scripts/stack/kafka-cluster.ts)
    // goes through, instead of one sent 6 or 12 s later.
    retry: { retries: opts.retries ?? 8, initialRetryTime: 200, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...fields } = log;
        kafkaLog[levelName[level] ?? 'info'](message, fields);
      },
  });
}

/**
 * A write acknowledged by all in-sync replicas (acks -1) is on at least min.insync.replicas brokers:
 * with 3 replicas and 2 required, one broker can die without losing an acknowledged message or
 * stopping producers; a second refuses writes (NOT_ENOUGH_REPLICAS) rather than risk one copy.
 */
export const minInsyncReplicas = (replicationFactor: number) => Math.max(1, replicationFactor - 1);

/**
 * Creates the topics bourse needs (idempotent) with `replicationFactor` replicas each and brings their
 * settings up to date. The replica count of an existing topic is left as it is (a reassignment's job).
 */
export async function ensureTopics(admin: Admin, replicationFactor = 1): Promise<void> {
  const minIsr = { name: 'min.insync.replicas', value: String(minInsyncReplicas(replicationFactor)) };
  const specs = TOPIC_SPECS.map((t) => ({
    ...t,
    replicationFactor,
    configEntries: [...(t.configEntries ?? []), minIsr],
  }));
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  await admin.alterConfigs({
    validateOnly: false,
    resources: specs.map((t) => ({
      type: ConfigResourceTypes.TOPIC,
      name: t.topic,
      configEntries: t.configEntries,
    })),
  });
}
