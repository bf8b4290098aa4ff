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
    retry: { retries: opts.retries ?? 8, initialRetryTime: 200 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...fields } = log;
        kafkaLog[levelName[level] ?? 'info'](message, fields);
      },
  });
}

/** Creates the topics bourse needs (idempotent) and brings their settings up to date. */
export async function ensureTopics(admin: Admin): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = TOPIC_SPECS.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  await admin.alterConfigs({
    validateOnly: false,
    resources: TOPIC_SPECS.map((t) => ({
      type: ConfigResourceTypes.TOPIC,
      name: t.topic,
      configEntries: t.configEntries ?? [],
    })),
  });
}
