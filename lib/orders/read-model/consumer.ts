// The order-events consumer's core: Kafka `order-events` → the Redis read model (apply.ts), through
// the one consumer loop (lib/infra/batch-consumer.ts): offsets committed only after the write,
// unusable messages to `order-events.dlq` with the reason. The process
// (workers/order-events-consumer.ts), `npm run orders:rebuild` and the tests run this code.
import type { Kafka } from 'kafkajs';
import type { OrderEvent } from '../../contracts/orders';
import { startBatchConsumer, type RunningBatchConsumer, type TopicWrite } from '../../infra/batch-consumer';
import { TOPICS } from '../../infra/kafka';
import type { Logger } from '../../infra/logger';
import type { Redis } from '../../infra/redis';
import { applyOrderEvents } from './apply';
import { orderDeadLetterReason, type OrderEventsMetrics } from './metrics';
import { parseOrderEventMessage } from './parse';

export interface OrderEventsConsumerOptions {
  kafka: Kafka;
  redis: Redis;
  log: Logger;
  groupId: string;
  /** Where a new group starts: the earliest offset (a first deployment, a rebuild) or the end. */
  fromBeginning: boolean;
  /** Attempts at a write Redis rejects before the message goes to the DLQ. */
  maxAttempts: number;
  streamMaxLen: number;
  sessionTimeoutMs?: number;
  retryBaseMs?: number;
  concurrency?: number;
  /** Counts events handled (applied, ignored as old, or dead-lettered). */
  onHandled?: (count: number) => void;
  metrics?: OrderEventsMetrics;
  onFatal?: (err: Error) => void;
}

export type RunningOrderEventsConsumer = RunningBatchConsumer;

/** How the read model reads and writes `order-events`. */
export function orderEventsTopicWrite(
  opts: Pick<OrderEventsConsumerOptions, 'redis' | 'streamMaxLen' | 'metrics' | 'onHandled'>,
): TopicWrite<OrderEvent> {
  const { metrics, onHandled } = opts;
  return {
    what: 'order event',
    dlqTopic: TOPICS.orderEventsDlq,
    chunkSize: 500,
    parse(message) {
      const parsed = parseOrderEventMessage(message);
      return parsed.ok ? { ok: true, value: parsed.event } : parsed;
    },
    write: (events) => applyOrderEvents(opts.redis, events, opts.streamMaxLen),
    countDeadLetter: metrics
      ? (topic, reason) => metrics.deadLetters.inc({ topic, reason: orderDeadLetterReason(reason) })
      : undefined,
    onChunk({ messages }) {
      onHandled?.(messages);
      metrics?.eventsHandled.inc(messages);
    },
  };
}

/** Joins the group and consumes until stopped. */
export function startOrderEventsConsumer(
  opts: OrderEventsConsumerOptions,
): Promise<RunningOrderEventsConsumer> {
  return startBatchConsumer({
    kafka: opts.kafka,
    log: opts.log,
    name: 'order-events consumer',
    groupId: opts.groupId,
    topic: TOPICS.orderEvents,
    fromBeginning: opts.fromBeginning,
    concurrency: opts.concurrency ?? 6,
    sessionTimeoutMs: opts.sessionTimeoutMs,
    // A fetch is answered as soon as an event arrives (minBytes 1); the wait only says how often an
    // idle consumer asks again. 50 ms measured the same SSE and long-poll delays as 1 s and twice the
    // idle CPU of Kafka and this consumer (docs/performance.md).
    maxWaitTimeInMs: 1_000,
    onFatal: opts.onFatal,
    maxAttempts: opts.maxAttempts,
    retryBaseMs: opts.retryBaseMs,
    write: orderEventsTopicWrite(opts),
  });
}
