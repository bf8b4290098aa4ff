// The order-events consumer's core: Kafka `order-events` batches → the Redis read model (apply.ts),
// offsets committed only after the write, unusable messages to `order-events.dlq` with the reason.
// The process (workers/order-events-consumer.ts), `npm run orders:rebuild` and the tests run this code.
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { sendDeadLetters, type DeadLetter } from '../../infra/dead-letters';
import type { OrderEvent } from '../../contracts/orders';
import { TOPICS } from '../../infra/kafka';
import { startBatchConsumer, type RunningBatchConsumer } from '../../infra/batch-consumer';
import type { KafkaSender } from '../../infra/kafka-sender';
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

const CHUNK = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function deadLetter(
  dlq: KafkaSender,
  log: Logger,
  metrics: OrderEventsMetrics | undefined,
  topic: string,
  partition: number,
  letters: DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  for (const l of letters) {
    metrics?.deadLetters.inc({ topic, reason: orderDeadLetterReason(l.reason) });
    log.warn('order event dead-lettered', { topic, partition, offset: l.message.offset, reason: l.reason });
  }
  await sendDeadLetters(dlq, TOPICS.orderEventsDlq, topic, partition, letters);
}

/** The eachBatch handler: chunk by chunk, parse, write (retrying what Redis rejects), dead-letter, commit. */
export function createOrderEventsBatchHandler(
  opts: Pick<
    OrderEventsConsumerOptions,
    'redis' | 'log' | 'maxAttempts' | 'streamMaxLen' | 'retryBaseMs' | 'onHandled' | 'metrics'
  > & {
    dlq: KafkaSender;
    commit: (topic: string, partition: number, nextOffset: string) => Promise<void>;
  },
): (payload: EachBatchPayload) => Promise<void> {
  const retryBaseMs = opts.retryBaseMs ?? 200;

  async function writeWithRetries(
    good: { event: OrderEvent; message: KafkaMessage }[],
  ): Promise<DeadLetter[]> {
    let pending = good;
    for (let attempt = 1; pending.length > 0; attempt++) {
      // A connection failure rejects: KafkaJS redelivers from the last commit, nothing is dead-lettered.
      const errors = await applyOrderEvents(
        opts.redis,
        pending.map((g) => g.event),
        opts.streamMaxLen,
      );
      const failed = pending.map((g, i) => ({ ...g, error: errors[i] })).filter((g) => g.error);
      if (failed.length === 0) return [];
      if (attempt >= opts.maxAttempts) {
        return failed.map((g) => ({
          message: g.message,
          reason: `Redis rejected the write: ${g.error!.message}`,
          attempts: attempt,
        }));
      }
      opts.log.warn('order event write rejected; retrying', { attempt, reason: failed[0]!.error!.message });
      await sleep(retryBaseMs * 2 ** (attempt - 1));
      pending = failed;
    }
    return [];
  }

  return async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    const { topic, partition, messages } = batch;
    for (let i = 0; i < messages.length; i += CHUNK) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(i, i + CHUNK);
      const good: { event: OrderEvent; message: KafkaMessage }[] = [];
      const bad: DeadLetter[] = [];
      for (const message of chunk) {
        const parsed = parseOrderEventMessage(message);
        if (parsed.ok) good.push({ event: parsed.event, message });
        else bad.push({ message, reason: parsed.reason, attempts: 1 });
      }
      bad.push(...(await writeWithRetries(good)));
      await deadLetter(opts.dlq, opts.log, opts.metrics, topic, partition, bad);
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await opts.commit(topic, partition, (BigInt(last) + 1n).toString());
      opts.onHandled?.(chunk.length);
      opts.metrics?.eventsHandled.inc(chunk.length);
      await heartbeat();
    }
  };
}

export type RunningOrderEventsConsumer = RunningBatchConsumer;

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
    handler: ({ dlq, commit }) => createOrderEventsBatchHandler({ ...opts, dlq, commit }),
  });
}
