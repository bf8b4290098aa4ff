// The price consumer: joins the group and runs the batch handler (./batch.ts) until stopped. The
// process (workers/price-consumer.ts), the rebuild command and the tests all run this same code.
import type { Consumer, Kafka } from 'kafkajs';
import { TOPICS } from '../../infra/kafka';
import { connectKafkaSender } from '../../infra/kafka-sender';
import type { Logger } from '../../infra/logger';
import type { PriceIngestMetrics } from '../../infra/metrics';
import type { Redis } from '../../infra/redis';
import { createPriceBatchHandler } from './batch';

export interface PriceConsumerOptions {
  kafka: Kafka;
  redis: Redis;
  log: Logger;
  groupId: string;
  topic?: string;
  concurrency: number;
  maxAttempts: number;
  /** Where a new group starts: the earliest offset (a first deployment, a rebuild) or the end. */
  fromBeginning: boolean;
  retryBaseMs?: number;
  sessionTimeoutMs?: number;
  onWritten?: (count: number) => void;
  metrics?: PriceIngestMetrics;
  /** PRICE_HISTORY_RETENTION, ms (0 or absent: keep every minute). */
  retentionMs?: number;
  /** Called if the consumer crashes for good (KafkaJS gave up restarting it). */
  onFatal?: (err: Error) => void;
}

export interface RunningPriceConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/** Joins the group and consumes until stopped. */
export async function startPriceConsumer(opts: PriceConsumerOptions): Promise<RunningPriceConsumer> {
  const topic = opts.topic ?? TOPICS.prices;
  // A member that dies without leaving (SIGKILL) holds its partitions until the session times out.
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout,
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
  });
  const [dlq] = await Promise.all([connectKafkaSender(opts.kafka), consumer.connect()]);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    opts.log.error('price consumer crashed', { error: payload.error.message, restart: payload.restart });
    if (!payload.restart) opts.onFatal?.(payload.error);
  });
  await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning });
  const eachBatch = createPriceBatchHandler({
    redis: opts.redis,
    dlq,
    log: opts.log,
    maxAttempts: opts.maxAttempts,
    retryBaseMs: opts.retryBaseMs,
    onWritten: opts.onWritten,
    metrics: opts.metrics,
    retentionMs: opts.retentionMs,
    commit: (t, partition, offset) => consumer.commitOffsets([{ topic: t, partition, offset }]),
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.concurrency,
    eachBatch,
  });
  return {
    consumer,
    async stop() {
      await consumer.disconnect();
      await dlq.close();
    },
  };
}
