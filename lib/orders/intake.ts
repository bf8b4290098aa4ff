// The burst intake. An order whose check cannot be answered within ORDER_QUEUE_AFTER is recorded on
// Kafka `order-requests` (key = user) and answered 202 `Pending: Credit check queued.`; the API
// processes' intake consumer starts it at its turn with the same Update-with-Start and the same
// workflow id as the direct path, so a replay (or a direct start still on its way) finds the same
// order. A user's orders are started one after another in the order they were recorded; different
// users' at once, as many as the admission lets through. While a user has orders queued, their new
// orders queue behind them (the Redis hash below says so), so a user's orders are checked in the
// order they arrived. A refusal at its turn (a price gone stale, a user deleted) is kept a week under
// the user's key and wakes the order's long poll.
import type { Kafka, KafkaMessage } from 'kafkajs';
import { isFinal, ORDER_STATUS_TEXT, type OrderRefusal, type OrderState } from '../contracts/orders';
import { startBatchConsumer, type ChunkSession, type RunningBatchConsumer } from '../infra/batch-consumer';
import type { Config } from '../infra/config';
import { TOPICS } from '../infra/kafka';
import { connectKafkaSender, type KafkaSender } from '../infra/kafka-sender';
import type { Logger } from '../infra/logger';
import type { Redis } from '../infra/redis';
import { orderFinalChannel, queuedOrdersKey, refusedOrderKey } from '../store/keys';
import type { Admission } from './admission';
import type { OrderClient, OrderRequest } from './client';
import { OrderError } from './errors';

/** One message on `order-requests`, and one entry of the user's queued-orders hash. */
export interface QueuedOrder {
  orderId: string;
  request: OrderRequest;
  /** When the API received it (ISO UTC): the order's receivedAt, as on the direct path. */
  receivedAt: string;
  /** When it was queued (ISO UTC). */
  queuedAt: string;
}

/** A queued entry older than this is a leftover (its API died between the entry and the send): ignored. */
const QUEUED_ENTRY_MAX_AGE_MS = 60 * 60 * 1000;
const REFUSAL_KEPT_SECONDS = 7 * 24 * 3600;

export function queuedState(q: QueuedOrder): OrderState {
  return {
    orderId: q.orderId,
    user: q.request.user,
    stockId: q.request.stockId,
    quantity: q.request.quantity,
    side: q.request.side,
    ...(q.request.limit ? { limit: q.request.limit } : {}),
    phase: 'queued',
    status: ORDER_STATUS_TEXT.queued,
    receivedAt: q.receivedAt,
    updatedAt: q.queuedAt,
  };
}

export function parseQueuedOrder(raw: string): QueuedOrder | undefined {
  try {
    const q = JSON.parse(raw) as Partial<QueuedOrder>;
    const r = q.request;
    if (
      typeof q.orderId !== 'string' ||
      typeof q.receivedAt !== 'string' ||
      typeof q.queuedAt !== 'string' ||
      !r ||
      typeof r.user !== 'string' ||
      typeof r.stockId !== 'string' ||
      !Number.isSafeInteger(r.quantity) ||
      (r.side !== 'buy' && r.side !== 'sell')
    ) {
      return undefined;
    }
    return q as QueuedOrder;
  } catch {
    return undefined;
  }
}

export function createOrderIntake(deps: { redis: Redis; kafka: Kafka; log: Logger }) {
  const { redis, kafka } = deps;
  let sender: Promise<KafkaSender> | undefined;
  const senderOf = () => {
    sender ??= connectKafkaSender(kafka).catch((err: unknown) => {
      sender = undefined;
      throw err;
    });
    return sender;
  };

  /** The order's queued entry, if it is waiting for its turn. */
  async function queued(user: string, orderId: string): Promise<QueuedOrder | undefined> {
    const raw = await redis.hget(queuedOrdersKey(user), orderId);
    return raw ? parseQueuedOrder(raw) : undefined;
  }

  /** Whether the user has orders waiting for their turn (a new one must then wait behind them). */
  async function hasQueued(user: string): Promise<boolean> {
    if ((await redis.hlen(queuedOrdersKey(user))) === 0) return false;
    const oldest = Date.now() - QUEUED_ENTRY_MAX_AGE_MS;
    const entries = Object.values(await redis.hgetall(queuedOrdersKey(user)));
    return entries.some((raw) => Date.parse(parseQueuedOrder(raw)?.queuedAt ?? '') > oldest);
  }

  /** Why the queued order was refused at its turn, if it was. */
  async function refusal(user: string, orderId: string): Promise<OrderRefusal | undefined> {
    const raw = await redis.get(refusedOrderKey(user, orderId));
    return raw ? (JSON.parse(raw) as OrderRefusal) : undefined;
  }

  /**
   * Records the order on `order-requests` (acknowledged by every in-sync replica) and answers its
   * queued state; an order queued already (a retry) answers its entry. Nowhere durable to record it
   * (Kafka down): `unavailable`, and its entry is removed again.
   */
  async function record(orderId: string, request: OrderRequest, receivedAt: Date): Promise<OrderState> {
    const q: QueuedOrder = {
      orderId,
      request,
      receivedAt: receivedAt.toISOString(),
      queuedAt: new Date().toISOString(),
    };
    const value = JSON.stringify(q);
    let fresh: number;
    try {
      // A refusal of an earlier attempt with the same Idempotency-Key is no answer for this one.
      const [[, added]] = (await redis
        .multi()
        .hsetnx(queuedOrdersKey(request.user), orderId, value)
        .del(refusedOrderKey(request.user, orderId))
        .exec()) as [[Error | null, number], [Error | null, number]];
      fresh = added;
    } catch (err) {
      throw new OrderError('unavailable', 'unavailable', `Redis is unavailable: ${(err as Error).message}`);
    }
    if (!fresh) {
      const existing = await queued(request.user, orderId);
      if (existing) return queuedState(existing);
    }
    try {
      await (await senderOf()).send(TOPICS.orderRequests, [{ key: request.user, value }]);
    } catch (err) {
      await redis.hdel(queuedOrdersKey(request.user), orderId).catch(() => undefined);
      throw new OrderError(
        'unavailable',
        'unavailable',
        `the order could not be recorded (Kafka: ${(err as Error).message}); nothing was started: retry shortly`,
        undefined,
        { orderId },
      );
    }
    return queuedState(q);
  }

  /** The queued order was started (or refused: the reason is kept): its entry goes. */
  async function done(q: QueuedOrder, refused?: OrderRefusal): Promise<void> {
    const user = q.request.user;
    const tx = redis.multi().hdel(queuedOrdersKey(user), q.orderId);
    if (refused) {
      tx.set(refusedOrderKey(user, q.orderId), JSON.stringify(refused), 'EX', REFUSAL_KEPT_SECONDS);
      tx.publish(orderFinalChannel(user, q.orderId), JSON.stringify({ refused }));
    }
    await tx.exec();
  }

  async function close(): Promise<void> {
    const s = sender;
    sender = undefined;
    if (s) await (await s.catch(() => undefined))?.close();
  }

  return { queued, hasQueued, refusal, record, done, close };
}

export type OrderIntake = ReturnType<typeof createOrderIntake>;

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
        const state = await admission.run(Date.now() + cfg.ORDER_START_TIMEOUT, () =>
          orders.start(q.orderId, q.request, cfg.ORDER_START_TIMEOUT, new Date(q.receivedAt)),
        );
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
    maxWaitTimeInMs: 100,
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
