// The buyOrder workflow's effects on the world: credit in Redis, user verification, order events on
// Kafka. Every activity is idempotent by order id: a retry never reserves, charges or releases twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { TOPICS } from '../lib/infra/kafka';
import type { KafkaSender } from '../lib/infra/kafka-sender';
import { stalePriceError } from '../lib/orders/tradable';
import {
  orderMoneyState,
  releaseOrderCredit,
  reserveOrderCredit,
  settleOrderCredit,
} from '../lib/store/credit';
import type { Logger } from '../lib/infra/logger';
import type { OrderEvent } from '../lib/contracts/orders';
import { readSurvivingFailover } from '../lib/store/cluster';
import { readLatestTick } from '../lib/store/price-history';
import type { Redis } from '../lib/infra/redis';
import { VerifierError, type Verifier } from './verifier';

export interface OrderRef {
  orderId: string;
  user: string;
}

/** A step that also publishes order events once its own work is done (buyOrder version 2). */
export interface OrderStep extends OrderRef {
  /** Published to `order-events` after the step's work succeeded; idempotent by event id. */
  publish?: OrderEvent[];
}

export interface ReserveRequest extends OrderRef {
  stockId: string;
  quantity: number;
  /** How old (by its minute) the price may be; absent in orders started before the rule existed. */
  priceMaxAgeMs?: number;
}

export interface CreditChecked {
  outcome: 'reserved' | 'denied';
  price: number;
  /** The minute of the price used. */
  priceMinute?: string;
  amount: number;
  /** credit − reserved when the check ran. */
  availableCredit: number;
}
export type ReserveResult =
  | CreditChecked
  | { outcome: 'unknown_user' }
  | { outcome: 'no_price' }
  | { outcome: 'no_fresh_price'; message: string };

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
  /** One send for the step's events (the process's group-commit sender); a failure retries the step. */
  async function publish(events: readonly OrderEvent[] = []): Promise<void> {
    if (events.length === 0) return;
    await sender.send(
      TOPICS.orderEvents,
      events.map((event) => ({
        key: event.orderId,
        value: JSON.stringify(event),
        headers: { 'event-id': event.eventId, phase: event.after.phase },
      })),
    );
    for (const event of events) onEventPublished?.(event);
  }

  return {
    /**
     * Reads the latest price, refuses it if stale (PRICE_MAX_AGE, by its minute), then reserves
     * price × quantity in one atomic script. An order already recorded keeps its first outcome.
     */
    async reserveCredit(req: ReserveRequest): Promise<ReserveResult> {
      const { orderId, user, stockId, quantity } = req;
      // The price may come from the stock's replica while its master fails over (a few ms behind at most).
      const tick = await readSurvivingFailover(redis, (r) => readLatestTick(r, stockId));
      // Orders started before PRICE_MAX_AGE existed carry no age: any price then.
      const stale = stalePriceError(stockId, tick, req.priceMaxAgeMs ?? Infinity, Date.now());
      if (stale && !(await orderMoneyState(redis, user, orderId))) {
        // A retry may find a price a moment later, but an order already recorded keeps its own.
        return tick ? { outcome: 'no_fresh_price', message: stale.message } : { outcome: 'no_price' };
      }
      const price = tick?.price ?? 0;
      const amount = price * quantity;
      if (!Number.isSafeInteger(amount)) {
        throw ApplicationFailure.nonRetryable(
          `price × quantity overflows: ${price} × ${quantity}`,
          'AmountOverflow',
        );
      }
      const r = await reserveOrderCredit(redis, { user, orderId, amount, stockId, quantity, price });
      if (r.state === 'unknown_user' || !('amount' in r)) return { outcome: 'unknown_user' };
      if (r.state === 'settled' || r.state === 'released') {
        // A replay after the order moved on: it had been reserved.
      } else if (r.state !== 'reserved' && r.state !== 'denied') {
        throw ApplicationFailure.nonRetryable(
          `order ${orderId} in unexpected state ${r.state}`,
          'OrderState',
        );
      }
      const result: CreditChecked = {
        outcome: r.state === 'denied' ? 'denied' : 'reserved',
        price: r.price,
        ...(tick && tick.price === r.price ? { priceMinute: tick.minute } : {}),
        amount: r.amount,
        availableCredit: r.credit - r.reserved,
      };
      log.info('credit checked', { orderId, user, stockId, quantity, ...result });
      return result;
    },

    /**
     * Publishes the events it carries (version 2: the In Progress one) while it asks the verifier. Heartbeats so a server-side timeout or cancel reaches it, and also aborts on
     * its own when the start-to-close timeout runs out, so the outbound call never outlives it.
     */
    async verifyUser({ orderId, user, publish: events }: OrderStep): Promise<boolean> {
      // The In Progress event, beside the verification rather than before it: a Kafka outage must not
      // fail the order, and the step after this one (settle or release) sends it again anyway.
      if (events?.length) {
        publish(events).catch((err: unknown) =>
          log.warn('In Progress event not published; the final step sends it again', {
            orderId,
            err: (err as Error).message,
          }),
        );
      }
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

    /** Settles the reservation, then publishes the events it carries (version 2: the final one). */
    async settleOrder({ orderId, user, publish: events }: OrderStep): Promise<void> {
      await moveMoney('settled', orderId, () => settleOrderCredit(redis, user, orderId));
      log.info('order settled', { orderId, user });
      await publish(events);
    },

    /** Releases the reservation, then publishes the events it carries (version 2: the final one). */
    async releaseCredit({ orderId, user, publish: events }: OrderStep): Promise<void> {
      await moveMoney('released', orderId, () => releaseOrderCredit(redis, user, orderId));
      log.info('reservation released', { orderId, user });
      await publish(events);
    },

    /** One event on its own: a denied order's, and every event of version-1 orders. */
    async publishOrderEvent(event: OrderEvent): Promise<void> {
      await publish([event]);
    },
  };
}

/** Runs a reserved → settled|released script; any other resulting state is a bug, never retried. */
async function moveMoney(
  to: 'settled' | 'released',
  orderId: string,
  script: () => Promise<string>,
): Promise<void> {
  const state = await script();
  if (state !== to) {
    const verb = to === 'settled' ? 'settle' : 'release';
    throw ApplicationFailure.nonRetryable(`cannot ${verb} order ${orderId} in state ${state}`, 'OrderState');
  }
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
