// The one way bourse talks to Kafka: client, topic names and their settings.
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Config } from './config';
import { createLogger } from './logger';

export const TOPICS = {
  prices: 'stock-prices',
  pricesDlq: 'stock-prices.dlq',
  orderEvents: 'order-events',
  orderEventsDlq: 'order-events.dlq',
  orderRequests: 'order-requests',
  orderRequestsDlq: 'order-requests.dlq',
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
  // The burst intake (lib/orders/intake.ts): key = user, so a user's orders keep their order. A request
  // is done once its order is started; seven days keep a replay possible after a long outage.
  {
    topic: TOPICS.orderRequests,
    numPartitions: 6,
    configEntries: [{ name: 'retention.ms', value: '604800000' }],
  },
  {
    topic: TOPICS.orderRequestsDlq,
    numPartitions: 1,
    configEntries: [{ name: 'retention.ms', value: '2592000000' }],
  },
];

const kafkaLog = createLogger('kafkajs');
const levelName: Record<number, Level> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

type Level = 'error' | 'warn' | 'info' | 'debug';

/**
 * Broker answers the client recovers from by itself (KafkaJS's messages for them): a leader moving or a
 * replica missing while a broker restarts (the request is retried), a group rebalancing or its
 * coordinator moving (the member rejoins). test/unit/kafka-log-level.test.ts checks them against KafkaJS.
 */
export const PASSING_BROKER_ANSWERS: Record<string, string> = {
  // A topic just created, before its partitions' metadata has reached every broker.
  UNKNOWN_TOPIC_OR_PARTITION: 'This server does not host this topic-partition',
  LEADER_NOT_AVAILABLE:
    'There is no leader for this topic-partition as we are in the middle of a leadership election',
  NOT_LEADER_FOR_PARTITION: 'This server is not the leader for that topic-partition',
  REQUEST_TIMED_OUT: 'The request timed out',
  NETWORK_EXCEPTION: 'The server disconnected before a response was received',
  GROUP_COORDINATOR_NOT_AVAILABLE: 'The group coordinator is not available',
  GROUP_LOAD_IN_PROGRESS: "The coordinator is loading and hence can't process requests for this group",
  NOT_COORDINATOR_FOR_GROUP: 'This is not the correct coordinator for this group',
  NOT_ENOUGH_REPLICAS: 'Messages are rejected since there are fewer in-sync replicas than required',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    'Messages are written to the log, but to fewer in-sync replicas than required',
  FENCED_LEADER_EPOCH: 'The leader epoch in the request is older than the epoch on the broker',
  UNKNOWN_LEADER_EPOCH: 'The leader epoch in the request is newer than the epoch on the broker',
  REBALANCE_IN_PROGRESS: 'The group is rebalancing, so a rejoin is needed',
  UNKNOWN_MEMBER_ID: 'The coordinator is not aware of this member',
  ILLEGAL_GENERATION: 'Specified group generation id is not valid',
  MEMBER_ID_REQUIRED:
    'The group member needs to have a valid member id before actually entering a consumer group',
};
const passingAnswers = new Set(Object.values(PASSING_BROKER_ANSWERS));

/**
 * The level a KafkaJS log line deserves: `error` is for what an operator must act on. KafkaJS logs at
 * error every broker answer that is an error code, also those it handles itself: a topic that already
 * exists (createTopics returns false for it; any other creation error is thrown to ensureTopics' caller),
 * a consumer group rebalancing, a partition's leader moving during a broker's restart (the send is
 * retried: "Failed to send messages" with its retry count), a consumer's crash it restarts from. Those
 * are `info` or `warn`; a send that fails for good is thrown to the sender, and a consumer that cannot
 * recover is logged at error by batch-consumer.ts.
 */
export function kafkaLogLevel(level: Level, message: string, fields: Record<string, unknown>): Level {
  if (level !== 'error') return level;
  const error = typeof fields.error === 'string' ? fields.error : '';
  if (message.startsWith('Response CreateTopics') && error === 'Topic creation errors') return 'info';
  if (message.startsWith('Response ') && passingAnswers.has(error)) return 'warn';
  if (message.startsWith('Failed to send messages') && fields.retryCount !== undefined) return 'warn';
  if (message.startsWith('The coordinator is not aware of this member')) return 'warn';
  if (message.startsWith('Restarting the consumer in')) return 'warn';
  // KafkaJS restarts a consumer after a crash it can retry; the one it cannot is logged at error by
  // lib/infra/batch-consumer.ts (every bourse consumer's), which knows whether it restarts.
  if (message.startsWith('Crash: ')) return 'warn';
  return level;
}

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
        kafkaLog[kafkaLogLevel(levelName[level] ?? 'info', message, fields)](message, fields);
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
