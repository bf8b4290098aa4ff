// The buyOrder workflow's effects on the world: credit in Redis, user verification, order events on
// Kafka. Every activity is idempotent by order id: a retry never reserves, charges or releases twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { TOPICS } from '../lib/infra/kafka';
import type { KafkaSender } from '../lib/infra/kafka-sender';
import { holdingsKey, orderKey, userKey } from '../lib/store/keys';
import type { Logger } from '../lib/infra/logger';
import type { OrderEvent } from '../lib/contracts/orders';
import { readLatestTick } from '../lib/store/price-history';
import type { Redis } from '../lib/infra/redis';
import { VerifierError, type Verifier } from './verifier';

export interface OrderRef {
  orderId: string;
  user: string;
}

export interface ReserveRequest extends OrderRef {
  stockId: string;
  quantity: number;
}

export interface CreditChecked {
  outcome: 'reserved' | 'denied';
  price: number;
  amount: number;
  /** credit − reserved when the check ran. */
  availableCredit: number;
}
export type ReserveResult = CreditChecked | { outcome: 'unknown_user' } | { outcome: 'no_price' };

/**
 * One atomic step on the user's keys (one hash tag): reserve `amount` if credit − reserved covers it,
 * and record the order's money state. A second call for the same order returns the first's outcome.
 * Amounts go in and out as strings and are moved with HINCRBY, so Lua's doubles never format them.
 * KEYS: user hash, order hash. ARGV: amount, stockId, quantity, price.
 */
const RESERVE_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if not state then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown_user'} end
  local credit = redis.call('HGET', KEYS[1], 'credit') or '0'
  local reserved = redis.call('HGET', KEYS[1], 'reserved') or '0'
  state = 'denied'
  if tonumber(ARGV[1]) <= tonumber(credit) - tonumber(reserved) then
    redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
    state = 'reserved'
  end
  redis.call('HSET', KEYS[2], 'state', state, 'amount', ARGV[1], 'stockId', ARGV[2], 'quantity', ARGV[3],
    'price', ARGV[4], 'credit', credit, 'reserved', reserved)
end
return {state, redis.call('HGET', KEYS[2], 'amount'), redis.call('HGET', KEYS[2], 'price'),
  redis.call('HGET', KEYS[2], 'credit'), redis.call('HGET', KEYS[2], 'reserved')}
`;

/** reserved → settled: the reserved amount leaves credit and the shares join the holdings. KEYS: user, order, holdings. */
const SETTLE_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'reserved' then
  local amount = redis.call('HGET', KEYS[2], 'amount')
  redis.call('HINCRBY', KEYS[1], 'reserved', '-' .. amount)
  redis.call('HINCRBY', KEYS[1], 'credit', '-' .. amount)
  redis.call('HINCRBY', KEYS[3], redis.call('HGET', KEYS[2], 'stockId'), redis.call('HGET', KEYS[2], 'quantity'))
  redis.call('HSET', KEYS[2], 'state', 'settled')
  return 'settled'
end
return state or 'missing'
`;

/** reserved → released: the reservation is given back. KEYS: user, order. */
const RELEASE_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'reserved' then
  redis.call('HINCRBY', KEYS[1], 'reserved', '-' .. redis.call('HGET', KEYS[2], 'amount'))
  redis.call('HSET', KEYS[2], 'state', 'released')
  return 'released'
end
return state or 'missing'
`;

export interface OrderActivityDeps {
  redis: Redis;
  /** The process's Kafka sender (idempotent producer, group commit): `order-events`, keyed by order id. */
  sender: KafkaSender;
  verifier: Verifier;
  log: Logger;
  /** Called after each event is published; the worker counts the final ones (lib/infra/metrics.ts). */
  onEventPublished?: (event: OrderEvent) => void;
}

/** How often a running verification tells Temporal it is alive (and learns of a timeout or cancel). */
const HEARTBEAT_EVERY_MS = 1_000;

export function createOrderActivities({ redis, sender, verifier, log, onEventPublished }: OrderActivityDeps) {
  return {
    /** Reads the latest price, then reserves price × quantity in one atomic script. */
    async reserveCredit({ orderId, user, stockId, quantity }: ReserveRequest): Promise<ReserveResult> {
      const tick = await readLatestTick(redis, stockId);
      if (!tick) {
        // A retry may find the price a moment later, but an order already recorded keeps its own.
        const recorded = await redis.hget(orderKey(user, orderId), 'state');
        if (!recorded) return { outcome: 'no_price' };
      }
      const price = tick?.price ?? 0;
      const amount = price * quantity;
      if (!Number.isSafeInteger(amount)) {
        throw ApplicationFailure.nonRetryable(
          `price × quantity overflows: ${price} × ${quantity}`,
          'AmountOverflow',
        );
      }
      const [state, amt, recordedPrice, credit, reserved] = (await redis.eval(
        RESERVE_SCRIPT,
        2,
        userKey(user),
        orderKey(user, orderId),
        String(amount),
        stockId,
        String(quantity),
        String(price),
      )) as [string, string?, string?, string?, string?];
      if (state === 'unknown_user') return { outcome: 'unknown_user' };
      if (state === 'settled' || state === 'released') {
        // A replay after the order moved on: it had been reserved.
      } else if (state !== 'reserved' && state !== 'denied') {
        throw ApplicationFailure.nonRetryable(`order ${orderId} in unexpected state ${state}`, 'OrderState');
      }
      const result: CreditChecked = {
        outcome: state === 'denied' ? 'denied' : 'reserved',
        price: Number(recordedPrice),
        amount: Number(amt),
        availableCredit: Number(credit) - Number(reserved),
      };
      log.info('credit checked', { orderId, user, stockId, quantity, ...result });
      return result;
    },

    /**
     * Asks the verifier. Heartbeats so a server-side timeout or cancel reaches it, and also aborts on
     * its own when the start-to-close timeout runs out, so the outbound call never outlives it.
     */
    async verifyUser({ orderId, user }: OrderRef): Promise<boolean> {
      const ctx = Context.current();
      // One controller, aborted by Temporal's cancellation (timeout seen through a heartbeat, workflow
      // cancel, worker shutdown) or by our own copy of the start-to-close deadline, whichever is first.
      const abort = new AbortController();
      const signal = abort.signal;
      const onCancel = () => abort.abort(ctx.cancellationSignal.reason);
      ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      const deadline = setTimeout(
        () => abort.abort(new Error(`start-to-close timeout of ${ctx.info.startToCloseTimeoutMs} ms`)),
        ctx.info.startToCloseTimeoutMs,
      );
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      const started = Date.now();
      try {
        const verified = await verifier.verify({ orderId, user }, signal);
        log.info('user verification answered', { orderId, user, verified, ms: Date.now() - started });
        return verified;
      } catch (err) {
        if (signal.aborted) {
          log.warn('user verification stopped', {
            orderId,
            user,
            ms: Date.now() - started,
            reason: String((signal.reason as Error)?.message ?? signal.reason),
          });
        }
        if (err instanceof VerifierError && !err.retryable) {
          throw ApplicationFailure.nonRetryable(err.message, 'VerifierRejectedRequest');
        }
        throw err;
      } finally {
        clearInterval(beat);
        clearTimeout(deadline);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
      }
    },

    async settleOrder({ orderId, user }: OrderRef): Promise<void> {
      const state = (await redis.eval(
        SETTLE_SCRIPT,
        3,
        userKey(user),
        orderKey(user, orderId),
        holdingsKey(user),
      )) as string;
      if (state !== 'settled') {
        throw ApplicationFailure.nonRetryable(
          `cannot settle order ${orderId} in state ${state}`,
          'OrderState',
        );
      }
      log.info('order settled', { orderId, user });
    },

    async releaseCredit({ orderId, user }: OrderRef): Promise<void> {
      const state = (await redis.eval(RELEASE_SCRIPT, 2, userKey(user), orderKey(user, orderId))) as string;
      if (state !== 'released') {
        throw ApplicationFailure.nonRetryable(
          `cannot release order ${orderId} in state ${state}`,
          'OrderState',
        );
      }
      log.info('reservation released', { orderId, user });
    },

    async publishOrderEvent(event: OrderEvent): Promise<void> {
      await sender.send(TOPICS.orderEvents, [
        {
          key: event.orderId,
          value: JSON.stringify(event),
          headers: { 'event-id': event.eventId, phase: event.after.phase },
        },
      ]);
      onEventPublished?.(event);
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
