// The burst intake. An order whose check cannot be answered within ORDER_QUEUE_AFTER is recorded on
// Kafka `order-requests` (key = user) and answered 202 `Pending: Credit check queued.`; the API
// processes' intake consumer starts it at its turn with the same Update-with-Start and the same
// workflow id as the direct path, so a replay (or a direct start still on its way) finds the same
// order. A user's orders are started one after another in the order they were recorded; different
// users' at once, as many as the admission lets through. While a user has orders queued, their new
// orders queue behind them (the Redis hash below says so), so a user's orders are checked in the
// order they arrived. A refusal at its turn (a price gone stale, a user deleted) is kept a week under
// the user's key and wakes the order's long poll. A queued order can be canceled before its turn: its
// turn key says who came first, the intake (`started`) or the cancel (`canceled:<by>`), and a canceled
// order is still started at its turn, only to record it Canceled (nothing checked or reserved), so
// Temporal and the read model know it like any other order.
import type { Kafka } from 'kafkajs';
import {
  ORDER_STATUS_TEXT,
  queuedCancelReason,
  type OrderRefusal,
  type OrderState,
} from '../contracts/orders';
import { TOPICS } from '../infra/kafka';
import { connectKafkaSender, type KafkaSender } from '../infra/kafka-sender';
import type { Logger } from '../infra/logger';
import type { Redis } from '../infra/redis';
import { orderFinalChannel, queuedOrdersKey, queuedTurnKey, refusedOrderKey } from '../store/keys';
import type { OrderRequest } from './client';
import { OrderError } from './errors';

/** One message on `order-requests`, and one entry of the user's queued-orders hash. */
export interface QueuedOrder {
  orderId: string;
  request: OrderRequest;
  /** When the API received it (ISO UTC): the order's receivedAt, as on the direct path. */
  receivedAt: string;
  /** When it was queued (ISO UTC). */
  queuedAt: string;
  /**
   * A direct start was tried before it was queued (too late for an answer): its workflow may exist or
   * still be on its way, so a cancel goes to the workflow, never to the queue.
   */
  direct?: boolean;
}

/** A queued entry older than this is a leftover (its API died between the entry and the send): ignored. */
const QUEUED_ENTRY_MAX_AGE_MS = 60 * 60 * 1000;
const REFUSAL_KEPT_SECONDS = 7 * 24 * 3600;
/** A queued order's turn key outlives any wait on the intake and any replay of its message. */
const TURN_KEPT_SECONDS = 7 * 24 * 3600;
const CANCELED_TURN = 'canceled:';
const STARTED_TURN = 'started';

/**
 * A cancel of a queued order: marks its turn `canceled:<by>` unless the intake took it first. Answers
 * the turn as it stands (`started` or `canceled:<who>`), or nil when the order is not queued.
 */
const CANCEL_QUEUED_LUA = `
local turn = redis.call('GET', KEYS[2])
if turn then return turn end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return ARGV[2]`;

/** Who canceled the order while it was queued, from its turn; undefined if nobody did. */
const canceledByOf = (turn: string | null | undefined) =>
  turn?.startsWith(CANCELED_TURN) ? turn.slice(CANCELED_TURN.length) : undefined;

export function queuedState(q: QueuedOrder, canceledBy?: string): OrderState {
  if (canceledBy !== undefined) {
    return {
      ...queuedState(q),
      phase: 'canceled',
      status: ORDER_STATUS_TEXT.canceled,
      reason: queuedCancelReason(canceledBy),
    };
  }
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

  /** The order's queued entry and its state (Canceled if a cancel came first), in one round trip. */
  async function queuedWithState(
    user: string,
    orderId: string,
  ): Promise<{ entry: QueuedOrder; state: OrderState } | undefined> {
    const [[, raw], [, turn]] = (await redis
      .multi()
      .hget(queuedOrdersKey(user), orderId)
      .get(queuedTurnKey(user, orderId))
      .exec()) as [[Error | null, string | null], [Error | null, string | null]];
    const entry = raw ? parseQueuedOrder(raw) : undefined;
    return entry && { entry, state: queuedState(entry, canceledByOf(turn)) };
  }

  /** A queued order's state: queued, or Canceled if a cancel came before its turn; undefined if not queued. */
  async function queuedOrderState(user: string, orderId: string): Promise<OrderState | undefined> {
    return (await queuedWithState(user, orderId))?.state;
  }

  /**
   * Cancels a queued order before its turn. `canceled`: its state, Canceled (also for a second cancel);
   * `started`: the intake took it first, so the cancel goes to its workflow; `not_queued`: not waiting.
   */
  async function cancelQueued(
    user: string,
    orderId: string,
    by: string,
  ): Promise<{ outcome: 'canceled'; state: OrderState } | { outcome: 'started' | 'not_queued' }> {
    const q = await queued(user, orderId);
    if (!q) return { outcome: 'not_queued' };
    if (q.direct) return { outcome: 'started' };
    const turn = (await redis.eval(
      CANCEL_QUEUED_LUA,
      2,
      queuedOrdersKey(user),
      queuedTurnKey(user, orderId),
      orderId,
      `${CANCELED_TURN}${by}`,
      TURN_KEPT_SECONDS,
    )) as string | null;
    const canceledBy = canceledByOf(turn);
    if (canceledBy !== undefined) {
      await redis.publish(orderFinalChannel(user, orderId), JSON.stringify({ canceled: true }));
      return { outcome: 'canceled', state: queuedState(q, canceledBy) };
    }
    return { outcome: turn ? 'started' : 'not_queued' };
  }

  /**
   * The intake takes the order's turn: afterwards a cancel goes to its workflow. Answers who canceled it
   * first, if somebody did (it is then started only to record it Canceled), or `done` when its turn was
   * taken before and its entry is gone: a second request for an order started (or refused) already —
   * a redelivery, or a retry's copy — which is not started again.
   */
  async function takeTurn(q: QueuedOrder): Promise<{ canceledBy?: string; done?: true }> {
    const [[, turn], [, entry]] = (await redis
      .multi()
      .set(queuedTurnKey(q.request.user, q.orderId), STARTED_TURN, 'EX', TURN_KEPT_SECONDS, 'NX', 'GET')
      .hexists(queuedOrdersKey(q.request.user), q.orderId)
      .exec()) as [[Error | null, string | null], [Error | null, number]];
    if (turn === STARTED_TURN && !entry) return { done: true };
    const canceledBy = canceledByOf(turn);
    return canceledBy === undefined ? {} : { canceledBy };
  }

  /**
   * The order's queued entry, if it is waiting (a retry), and whether the user has orders waiting for
   * their turn (a new one must then wait behind them): one round trip when nothing is queued.
   */
  async function queueOf(user: string, orderId: string): Promise<{ entry?: QueuedOrder; waiting: boolean }> {
    const [[, raw], [, length]] = (await redis
      .multi()
      .hget(queuedOrdersKey(user), orderId)
      .hlen(queuedOrdersKey(user))
      .exec()) as [[Error | null, string | null], [Error | null, number]];
    const entry = raw ? parseQueuedOrder(raw) : undefined;
    if (entry) return { entry, waiting: true };
    if (length === 0) return { waiting: false };
    const oldest = Date.now() - QUEUED_ENTRY_MAX_AGE_MS;
    const entries = Object.values(await redis.hgetall(queuedOrdersKey(user)));
    return { waiting: entries.some((e) => Date.parse(parseQueuedOrder(e)?.queuedAt ?? '') > oldest) };
  }

  /** Why the queued order was refused at its turn, if it was. */
  async function refusal(user: string, orderId: string): Promise<OrderRefusal | undefined> {
    const raw = await redis.get(refusedOrderKey(user, orderId));
    return raw ? (JSON.parse(raw) as OrderRefusal) : undefined;
  }

  /**
   * Records the order on `order-requests` (acknowledged by every in-sync replica) and answers its
   * queued state; an order queued already (a retry) answers its entry, sent again: the entry is written
   * before the send, so an attempt cut off in between (its API killed, or Redis down when it went to
   * remove the entry of a send that failed) leaves an entry with no request behind it, and only a
   * retry's send makes it one (a second request for the same order is started idempotently). Nowhere
   * durable to record it (Kafka down): `unavailable`, and a fresh entry is removed again.
   */
  async function record(
    orderId: string,
    request: OrderRequest,
    receivedAt: Date,
    direct: boolean,
  ): Promise<OrderState> {
    const q: QueuedOrder = {
      orderId,
      request,
      receivedAt: receivedAt.toISOString(),
      queuedAt: new Date().toISOString(),
      ...(direct ? { direct } : {}),
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
    // A retry sends the entry as first written (its receivedAt, its direct flag), not this attempt's.
    const existing = fresh ? undefined : await queuedWithState(request.user, orderId);
    try {
      await (
        await senderOf()
      ).send(TOPICS.orderRequests, [
        { key: request.user, value: existing ? JSON.stringify(existing.entry) : value },
      ]);
    } catch (err) {
      if (fresh) await redis.hdel(queuedOrdersKey(request.user), orderId).catch(() => undefined);
      throw new OrderError(
        'unavailable',
        'unavailable',
        `the order could not be recorded (Kafka: ${(err as Error).message}); nothing was started: retry shortly`,
        undefined,
        { orderId },
      );
    }
    return existing?.state ?? queuedState(q);
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

  return { queued, queuedOrderState, cancelQueued, takeTurn, queueOf, refusal, record, done, close };
}

export type OrderIntake = ReturnType<typeof createOrderIntake>;
