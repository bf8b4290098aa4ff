// The burst intake's consumer: the API processes start the orders recorded on `order-requests` (intake.ts),
// each user's in the order recorded, users side by side through the admission.
import type { Kafka, KafkaMessage } from 'kafkajs';
import { isFinal } from '../contracts/orders';
import { startBatchConsumer, type ChunkSession, type RunningBatchConsumer } from '../infra/batch-consumer';
import type { Config } from '../infra/config';
import { TOPICS } from '../infra/kafka';
import type { Logger } from '../infra/logger';
import type { Admission } from './admission';
import type { OrderClient } from './client';
import { OrderError } from './errors';
import { parseQueuedOrder, type OrderIntake, type QueuedOrder } from './intake';

/** Between a start's attempts while the order service cannot answer: doubling from 200 ms to 5 s. */
const retryDelay = (attempt: number) => Math.min(200 * 2 ** attempt, 5_000);

/**
 * Starts queued orders: each user's in the order recorded, users at once through the admission. A
 * start the order service cannot answer now is tried again, backing off, for as long as it takes
 * (the group membership kept by heartbeats): a queued order is never dropped. The offset is committed
 * once the chunk's orders are all started or refused; a stop or a rebalance hands the rest back to
 * Kafka (every start is idempotent by workflow id).
 */
export async function startOrderIntakeConsumer(deps: {
  cfg: Pick<Config, 'ORDER_INTAKE_CONSUMER_GROUP' | 'ORDER_START_TIMEOUT'>;
  log: Logger;
  kafka: Kafka;
  intake: OrderIntake;
  orders: OrderClient;
  admission: Admission;
  onFatal?: (err: Error) => void;
}): Promise<RunningBatchConsumer> {
  const { cfg, log, intake, orders, admission } = deps;

  /** One order's start at its turn; resolves when it is started or refused for good. */
  async function startOne(q: QueuedOrder, session: ChunkSession): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { canceledBy, done } = await intake.takeTurn(q);
        if (done) {
          log.debug('queued order started before; this request for it is dropped', { orderId: q.orderId });
          return;
        }
        let state = await admission.run(Date.now() + cfg.ORDER_START_TIMEOUT, () =>
          orders.start(q.orderId, q.request, cfg.ORDER_START_TIMEOUT, new Date(q.receivedAt), canceledBy),
        );
        // Canceled before its turn, yet its workflow was there already (never so for an order queued
        // without a direct start): the cancel goes to it.
        if (canceledBy !== undefined && !isFinal(state.phase))
          state = await orders.cancel(q.orderId, canceledBy);
        await intake.done(q);
        log.debug('queued order started', {
          orderId: q.orderId,
          phase: state.phase,
          final: isFinal(state.phase),
        });
        return;
      } catch (err) {
        if (err instanceof OrderError && (err.kind === 'unprocessable' || err.kind === 'conflict')) {
          const { kind, code, message, field, details } = err;
          await intake.done(q, { kind, code, message, ...(field ? { field } : {}), details });
          log.info('queued order refused at its turn', { orderId: q.orderId, code });
          return;
        }
        if (!session.isRunning()) throw err;
        if (!(err instanceof OrderError && err.kind === 'overloaded')) {
          log.warn('queued order not started yet; retrying', {
            orderId: q.orderId,
            attempt,
            err: (err as Error).message,
          });
        }
        await new Promise((r) => setTimeout(r, retryDelay(attempt)));
        await session.heartbeat().catch(() => undefined);
      }
    }
  }

  const running = await startBatchConsumer<QueuedOrder>({
    kafka: deps.kafka,
    log,
    name: 'order intake',
    groupId: cfg.ORDER_INTAKE_CONSUMER_GROUP,
    topic: TOPICS.orderRequests,
    fromBeginning: true,
    concurrency: 6,
    // A dead API's partitions go to the other API in seconds, not after the default 30 s.
    sessionTimeoutMs: 10_000,
    // Answered as soon as an order is recorded (minBytes 1); the wait only says how often an idle API
    // asks again, as for the order-events consumer (read-model/consumer.ts).
    maxWaitTimeInMs: 1_000,
    maxAttempts: 3,
    onFatal: deps.onFatal,
    write: {
      what: 'order request',
      dlqTopic: TOPICS.orderRequestsDlq,
      chunkSize: 50,
      parse(message: KafkaMessage) {
        const q = message.value ? parseQueuedOrder(message.value.toString('utf8')) : undefined;
        return q ? { ok: true, value: q } : { ok: false, reason: 'not an order request' };
      },
      async write(items, session) {
        // Each user's orders in the order recorded; users side by side.
        const byUser = new Map<string, QueuedOrder[]>();
        for (const q of items) {
          const list = byUser.get(q.request.user) ?? [];
          list.push(q);
          byUser.set(q.request.user, list);
        }
        await Promise.all(
          [...byUser.values()].map(async (list) => {
            for (const q of list) await startOne(q, session);
          }),
        );
        return items.map(() => null);
      },
    },
  });
  return running;
}
