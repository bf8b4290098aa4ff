// The price consumer: joins the group and runs the batch handler (./batch.ts) until stopped. The
// process (workers/price-consumer.ts), the rebuild command and the tests all run this same code.
import type { Kafka } from 'kafkajs';
import { TOPICS } from '../../infra/kafka';
import { startBatchConsumer, type RunningBatchConsumer } from '../../infra/batch-consumer';
import type { Logger } from '../../infra/logger';
import type { PriceIngestMetrics } from '../metrics';
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
  /** How long a fetch waits for new messages (KafkaJS default 5 s). */
  maxWaitTimeInMs?: number;
  /** After each group join: this member's partitions by topic. */
  onGroupJoin?: (assignment: Record<string, number[]>) => void;
}

export type RunningPriceConsumer = RunningBatchConsumer;

/** Joins the group and consumes until stopped. */
export function startPriceConsumer(opts: PriceConsumerOptions): Promise<RunningPriceConsumer> {
  return startBatchConsumer({
    kafka: opts.kafka,
    log: opts.log,
    name: 'price consumer',
    groupId: opts.groupId,
    topic: opts.topic ?? TOPICS.prices,
    fromBeginning: opts.fromBeginning,
    concurrency: opts.concurrency,
    sessionTimeoutMs: opts.sessionTimeoutMs,
    onFatal: opts.onFatal,
    maxWaitTimeInMs: opts.maxWaitTimeInMs,
    onGroupJoin: opts.onGroupJoin,
    handler: ({ dlq, commit }) =>
      createPriceBatchHandler({
        redis: opts.redis,
        dlq,
        log: opts.log,
        maxAttempts: opts.maxAttempts,
        retryBaseMs: opts.retryBaseMs,
        onWritten: opts.onWritten,
        metrics: opts.metrics,
        retentionMs: opts.retentionMs,
        commit,
      }),
  });
}
