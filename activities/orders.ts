// The buyOrder workflow's effects on the world: credit and shares in Redis, user verification, order
// events on Kafka. Every activity is idempotent by order id: a retry never reserves, charges or releases twice.
// What each is asked and answers: order-steps.ts; how a check is priced: order-price.ts.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { TOPICS } from '../lib/infra/kafka';
import type { KafkaSender } from '../lib/infra/kafka-sender';
import { finishOrder, recordLimitFill, reserveOrderCredit, reserveOrderShares } from '../lib/store/credit';
import { unlistLimitOrder } from '../lib/store/limit-book';
import type { Logger } from '../lib/infra/logger';
import {
  unknownUserRefusal,
  withOutcome,
  type FinalOutcome,
  type OrderEvent,
  type OrderPhase,
} from '../lib/contracts/orders';
import type { Redis } from '../lib/infra/redis';
import { checkedOf, listIfLimit, priceFor } from './order-price';
import {
  refused,
  type CreditChecked,
  type FillRequest,
  type Filled,
  type OrderStep,
  type ReserveRequest,
  type ReserveResult,
} from './order-steps';
import { VerifierError, type Verifier } from './verifier';

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
      const priced = await priceFor(redis, req);
      if ('outcome' in priced) return priced;
      const r = await reserveOrderCredit(redis, { user, orderId, stockId, quantity, ...priced });
      if (!('amount' in r)) return unknownUser(user);
      const result: CreditChecked = {
        ...checkedOf(orderId, r.state, r, priced.tick),
        availableCredit: r.credit - r.reserved,
        ...(await listIfLimit(redis, req, 'buy', r.state)),
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
      const priced = await priceFor(redis, req);
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
        ...(await listIfLimit(redis, req, 'sell', r.state)),
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

/** What buyOrder proxies, as a type only. */
export type OrderActivities = ReturnType<typeof createOrderActivities>;
