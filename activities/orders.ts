// The buyOrder workflow's effects on the world: credit and shares in Redis, user verification, order
// events on Kafka. Every activity is idempotent by order id: a retry never reserves, charges or releases twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { TOPICS } from '../lib/infra/kafka';
import type { KafkaSender } from '../lib/infra/kafka-sender';
import { stalePriceError } from '../lib/orders/tradable';
import {
  finishOrder,
  orderMoneyState,
  recordLimitFill,
  reserveOrderCredit,
  reserveOrderShares,
} from '../lib/store/credit';
import { listLimitOrder, unlistLimitOrder, type LimitListing } from '../lib/store/limit-book';
import type { Logger } from '../lib/infra/logger';
import {
  crossesLimit,
  unknownUserRefusal,
  withOutcome,
  type FinalOutcome,
  type OrderEvent,
  type OrderPhase,
  type OrderRefusal,
  type OrderSide,
  type PriceCrossing,
} from '../lib/contracts/orders';
import type { PriceTick } from '../lib/contracts/price-tick';
import { readSurvivingFailover } from '../lib/store/cluster';
import { readLatestTick } from '../lib/store/price-history';
import type { Redis } from '../lib/infra/redis';
import { VerifierError, type Verifier } from './verifier';

export interface OrderRef {
  orderId: string;
  user: string;
}

/** A step that also publishes order events once its own work is done. */
export interface OrderStep extends OrderRef {
  /** Published to `order-events` after the step's work succeeded; idempotent by event id. */
  publish?: OrderEvent[];
  /** An open limit order leaving Open: taken off its stock's book before its money moves. */
  unlist?: { stockId: string; side: OrderSide };
}

/** A limit order woken by a crossing tick: it is repriced at that tick's price. */
export interface FillRequest extends OrderRef {
  stockId: string;
  side: OrderSide;
  quantity: number;
  crossing: PriceCrossing;
}

/** What a fill recorded: the price and amount the order now settles at (the first fill's). */
export interface Filled {
  price: number;
  amount: number;
  priceMinute?: string;
}

export interface ReserveRequest extends OrderRef {
  stockId: string;
  quantity: number;
  /** How old (by its minute) the price may be; absent in orders started before the rule existed. */
  priceMaxAgeMs?: number;
  /** A limit order: reserve at this price (not the latest), list it on its stock's book. */
  limitPrice?: number;
}

export interface CreditChecked {
  outcome: 'reserved' | 'denied';
  price: number;
  /** The minute of the price used. */
  priceMinute?: string;
  amount: number;
  /** credit − reserved when the check ran (a buy). */
  availableCredit?: number;
  /** shares held − reserved by open sells when the check ran (a sell). */
  availableShares?: number;
  /** A limit order whose limit the latest fresh tick crosses already, once listed: it fills at once. */
  crossing?: PriceCrossing;
}
/** The check's answer: reserved or denied, or refused before anything was recorded. */
export type ReserveResult = CreditChecked | { outcome: 'refused'; refusal: OrderRefusal };

const refused = (refusal: OrderRefusal): ReserveResult => ({ outcome: 'refused', refusal });
const unknownUser = (user: string) => refused(unknownUserRefusal(user));

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
     * A buy's check: reads the latest price, refuses it if stale (PRICE_MAX_AGE, by its minute), then
     * reserves price × quantity of credit in one atomic script. An order already recorded keeps its first outcome.
     */
    async reserveCredit(req: ReserveRequest): Promise<ReserveResult> {
      const { orderId, user, stockId, quantity } = req;
      const priced = await priceFor(req);
      if ('outcome' in priced) return priced;
      const r = await reserveOrderCredit(redis, { user, orderId, stockId, quantity, ...priced });
      if (!('amount' in r)) return unknownUser(user);
      const result: CreditChecked = {
        ...checkedOf(orderId, r.state, r, priced.tick),
        availableCredit: r.credit - r.reserved,
        ...(await listIfLimit(req, 'buy', r.state)),
      };
      log.info('credit checked', { orderId, user, stockId, quantity, ...result });
      return result;
    },

    /**
     * A sell's check: the same price rule, then reserves `quantity` of the user's free shares (held −
     * reserved by open sells) in one atomic script; the amount it will credit is priced now.
     */
    async reserveShares(req: ReserveRequest): Promise<ReserveResult> {
      const { orderId, user, stockId, quantity } = req;
      const priced = await priceFor(req);
      if ('outcome' in priced) return priced;
      const r = await reserveOrderShares(redis, { user, orderId, stockId, quantity, ...priced });
      if (r.state === 'unknown_user') return unknownUser(user);
      if (!('amount' in r)) {
        return refused({
          kind: 'unprocessable',
          code: 'no_holding',
          message: `${user} holds no shares of stock ${stockId}: nothing to sell`,
          field: 'stockid',
        });
      }
      const result: CreditChecked = {
        ...checkedOf(orderId, r.state, r, priced.tick),
        availableShares: r.held - r.sharesReserved,
        ...(await listIfLimit(req, 'sell', r.state)),
      };
      log.info('holdings checked', { orderId, user, stockId, quantity, ...result });
      return result;
    },

    /**
     * Publishes the events it carries (the In Progress one) while it asks the verifier. Heartbeats so a server-side timeout or cancel reaches it, and also aborts on
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

    /**
     * Settles the reservation (either side), then publishes the events it carries (the final one last).
     * Answers the order's recorded outcome: its own, or an earlier decision that stands.
     */
    async settleOrder(step: OrderStep): Promise<FinalOutcome> {
      return finish(step, 'settled');
    },

    /** Releases the reservation (credit or shares), then publishes the events it carries; as settleOrder. */
    async releaseCredit(step: OrderStep): Promise<FinalOutcome> {
      return finish(step, 'released');
    },

    /**
     * A limit order woken by a crossing: off its stock's book, then repriced at the crossing's price (a
     * buy gives back what it reserved beyond it). The first fill stands; its price is answered.
     */
    async fillLimitOrder(req: FillRequest): Promise<Filled> {
      const { orderId, user, stockId, side, quantity, crossing } = req;
      await unlistLimitOrder(redis, { orderId, stockId, side });
      const amount = crossing.price * quantity;
      const r = await recordLimitFill(redis, { user, orderId, price: crossing.price, amount });
      if (r.state !== 'reserved') {
        throw ApplicationFailure.nonRetryable(
          `cannot fill limit order ${orderId} in state ${r.state} at ${crossing.price}`,
          'OrderState',
        );
      }
      log.info('limit order filled', { orderId, user, stockId, side, price: r.price, amount: r.amount });
      return {
        price: r.price,
        amount: r.amount,
        ...(r.price === crossing.price ? { priceMinute: crossing.minute } : {}),
      };
    },

    /** One event on its own: a denied order's. */
    async publishOrderEvent(event: OrderEvent): Promise<void> {
      await publish([event]);
    },
  };

  /**
   * The price an order's check uses: the latest tick if fresh; else the refusal (an order already
   * recorded keeps the price it was checked with: a retry after a moment never refuses it).
   */
  async function priceFor(
    req: ReserveRequest,
  ): Promise<ReserveResult | { price: number; amount: number; tick?: PriceTick }> {
    const { orderId, user, stockId, quantity } = req;
    if (req.limitPrice !== undefined) return { price: req.limitPrice, ...amountOf(req.limitPrice, quantity) };
    // The price may come from the stock's replica while its master fails over (a few ms behind at most).
    const tick = await readSurvivingFailover(redis, (r) => readLatestTick(r, stockId));
    const stale = stalePriceError(stockId, tick, req.priceMaxAgeMs ?? Infinity, Date.now());
    if (stale && !(await orderMoneyState(redis, user, orderId))) {
      return refused({
        kind: 'conflict',
        code: stale.code,
        message: stale.message,
        ...(stale.field ? { field: stale.field } : {}),
        details: stale.details,
      });
    }
    const price = tick?.price ?? 0;
    return { price, ...amountOf(price, quantity), tick };
  }

  /**
   * A limit order just reserved goes on its stock's book, then looks at the latest tick: listed first,
   * so a tick stored meanwhile is either seen here or finds the order in the book (never neither).
   */
  async function listIfLimit(
    req: ReserveRequest,
    side: OrderSide,
    state: string,
  ): Promise<{ crossing?: PriceCrossing }> {
    const { limitPrice } = req;
    if (limitPrice === undefined || state !== 'reserved') return {};
    const listing: LimitListing = { orderId: req.orderId, stockId: req.stockId, side };
    await listLimitOrder(redis, { ...listing, limitPrice });
    const tick = await readSurvivingFailover(redis, (r) => readLatestTick(r, req.stockId));
    const fresh = !stalePriceError(req.stockId, tick, req.priceMaxAgeMs ?? Infinity, Date.now());
    if (!tick || !fresh || !crossesLimit(side, limitPrice, tick.price)) return {};
    return { crossing: { price: tick.price, minute: tick.minute } };
  }

  /**
   * reserved → settled|released with the final phase the step's last event carries. When the order was
   * already decided otherwise (a retried workflow task deciding again after a cancel raced the
   * verification), that decision stands: the final event is rewritten to it and it is answered.
   */
  async function finish(
    { orderId, user, publish: events = [], unlist }: OrderStep,
    to: 'settled' | 'released',
  ) {
    if (unlist) await unlistLimitOrder(redis, { orderId, ...unlist });
    const final = events.at(-1)?.after;
    const wanted: FinalOutcome = {
      phase: final?.phase ?? (to === 'settled' ? 'succeeded' : 'failed'),
      ...(final?.reason ? { reason: final.reason } : {}),
    };
    const r = await finishOrder(redis, { user, orderId, to, ...wanted });
    if (r.state !== 'settled' && r.state !== 'released') {
      throw ApplicationFailure.nonRetryable(
        `cannot finish order ${orderId} in state ${r.state}`,
        'OrderState',
      );
    }
    const recordedPhase = (r.phase || (r.state === 'settled' ? 'succeeded' : wanted.phase)) as OrderPhase;
    const outcome: FinalOutcome =
      r.state === to && recordedPhase === wanted.phase
        ? wanted
        : { phase: recordedPhase, ...(r.reason ? { reason: r.reason } : {}) };
    if (outcome !== wanted)
      log.warn('order already decided otherwise; that decision stands', { orderId, user, wanted, outcome });
    else log.info(to === 'settled' ? 'order settled' : 'reservation released', { orderId, user });
    await publish(
      outcome === wanted || !final
        ? events
        : events.map((e, i) =>
            i === events.length - 1 ? { ...e, after: withOutcome(e.after, outcome) } : e,
          ),
    );
    return outcome;
  }
}

/** The check's answer from the script's recorded outcome (a replay after the order moved on had been reserved). */
function checkedOf(
  orderId: string,
  state: string,
  r: { price: number; amount: number },
  tick: PriceTick | undefined,
): CreditChecked {
  if (state !== 'reserved' && state !== 'denied' && state !== 'settled' && state !== 'released') {
    throw ApplicationFailure.nonRetryable(`order ${orderId} in unexpected state ${state}`, 'OrderState');
  }
  return {
    outcome: state === 'denied' ? 'denied' : 'reserved',
    price: r.price,
    ...(tick && tick.price === r.price ? { priceMinute: tick.minute } : {}),
    amount: r.amount,
  };
}

/** price × quantity, refused when it is not an exact integer. */
function amountOf(price: number, quantity: number): { amount: number } {
  const amount = price * quantity;
  if (!Number.isSafeInteger(amount)) {
    throw ApplicationFailure.nonRetryable(
      `price × quantity overflows: ${price} × ${quantity}`,
      'AmountOverflow',
    );
  }
  return { amount };
}

/** What buyOrder proxies, as a type only. */
export type OrderActivities = ReturnType<typeof createOrderActivities>;
