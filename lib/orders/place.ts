// Placing an order (buy or sell): the rules checked before anything exists (user, stock, session, fresh price),
// then Update-with-Start through the admission, answered by the check if it comes within ORDER_QUEUE_AFTER;
// otherwise (or behind the user's queued orders) the order is recorded on the burst intake (intake.ts) and
// answered queued. Throws OrderError for every refusal, and `unavailable` only when nothing could record it.
// Withdrawing one (cancel) is here too: a queued order is canceled on the intake, any other by its workflow.
import type { Config } from '../infra/config';
import type { Redis } from '../infra/redis';
import { unknownUserRefusal, type OrderState, type TimeInForce } from '../contracts/orders';
import { tradingSession } from '../prices/market-calendar';
import { readStockFacts } from '../store/stock-facts';
import { orderMoneyState } from '../store/credit';
import { userKey } from '../store/keys';
import { Admission, type AdmissionObserver } from './admission';
import type { OrderIntake } from './intake';
import type { OrderClient, OrderRequest } from './client';
import { OrderError } from './errors';
import { newOrderId } from './order-id';
import { tradeError, type TradeRules } from './tradable';
import { checkPriceBand, limitTerms } from './limit-rules';

/** An order as the API read it: a limit order's price and time in force, its expiry not yet set. */
export type PlaceRequest = Omit<OrderRequest, 'limit'> & {
  limit?: { limitPrice: number; timeInForce?: TimeInForce };
};

type PlaceConfig = Pick<
  Config,
  | 'ORDER_MAX_IN_FLIGHT'
  | 'ORDER_QUEUE_MAX'
  | 'ORDER_START_TIMEOUT'
  | 'ORDER_QUEUE_AFTER'
  | 'PRICE_MAX_AGE'
  | 'STOCKS'
  | 'PRICE_SOURCE'
  | 'MARKET_CALENDAR'
  | 'MARKET_TIMEZONE'
  | 'MARKET_DAYS'
  | 'MARKET_OPEN'
  | 'MARKET_CLOSE'
  | 'PRICE_BAND'
  | 'LIMIT_ORDER_MAX_AGE'
>;

export function createOrderPlacer({
  cfg,
  redis,
  orders,
  intake,
  observer,
}: {
  cfg: PlaceConfig;
  redis: Redis;
  orders: OrderClient;
  intake: OrderIntake;
  observer?: AdmissionObserver;
}) {
  const admission = new Admission(cfg.ORDER_MAX_IN_FLIGHT, cfg.ORDER_QUEUE_MAX, observer);
  const rules: TradeRules = { priceMaxAgeMs: cfg.PRICE_MAX_AGE, session: tradingSession(cfg) };

  /** Unknown users, untradable stocks, a closed market and stale prices are refused here, before any order. */
  async function precheck(req: PlaceRequest, now: number): Promise<void> {
    let userExists: number;
    let facts: Awaited<ReturnType<typeof readStockFacts>>;
    try {
      [userExists, facts] = await Promise.all([
        redis.exists(userKey(req.user)),
        readStockFacts(redis, cfg, req.stockId),
      ]);
    } catch (err) {
      throw new OrderError('unavailable', 'unavailable', `Redis is unavailable: ${(err as Error).message}`);
    }
    if (!userExists) throw OrderError.of(unknownUserRefusal(req.user));
    const refusal = tradeError(facts, rules, now);
    if (refusal) throw refusal;
    if (req.limit) {
      try {
        await checkPriceBand(
          redis,
          cfg,
          { stockId: req.stockId, limitPrice: req.limit.limitPrice },
          new Date(now),
        );
      } catch (err) {
        if (err instanceof OrderError) throw err;
        throw new OrderError('unavailable', 'unavailable', `Redis is unavailable: ${(err as Error).message}`);
      }
    }
  }

  async function orderRecorded(user: string, orderId: string): Promise<boolean> {
    try {
      return (await orderMoneyState(redis, user, orderId)) !== null;
    } catch (err) {
      throw new OrderError('unavailable', 'unavailable', `Redis is unavailable: ${(err as Error).message}`);
    }
  }

  async function place(
    placed: PlaceRequest,
    idempotencyKey: string | undefined,
    receivedAt: Date,
  ): Promise<OrderState> {
    const { limit, ...market } = placed;
    // Well-formed, but its reservation would not be an exact amount of rials: refused before anything exists.
    if (limit && !Number.isSafeInteger(limit.limitPrice * placed.quantity)) {
      throw new OrderError(
        'unprocessable',
        'amount_too_large',
        `limitPrice × quantity (${limit.limitPrice} × ${placed.quantity}) is beyond an exact amount of rials`,
        'limitPrice',
      );
    }
    const req: OrderRequest = limit ? { ...market, limit: limitTerms(cfg, limit, receivedAt) } : market;
    const orderId = newOrderId(req.user, idempotencyKey);
    // A retry of an order already placed answers that order (its credit check is done, its price
    // recorded), even if the price went stale or the session closed since; only new orders are checked.
    if (!idempotencyKey || !(await orderRecorded(req.user, orderId)))
      await precheck(placed, receivedAt.getTime());
    const state = await checkedOrQueued(orderId, req, receivedAt);
    if (
      state.stockId !== req.stockId ||
      state.quantity !== req.quantity ||
      (state.side ?? 'buy') !== req.side ||
      state.limit?.limitPrice !== req.limit?.limitPrice ||
      state.limit?.timeInForce !== req.limit?.timeInForce
    ) {
      throw new OrderError(
        'unprocessable',
        'idempotency_key_reused',
        `Idempotency-Key already names order ${orderId} (${state.side ?? 'buy'} ${state.quantity} × ${state.stockId}); use a new key for a different order`,
        'Idempotency-Key',
      );
    }
    return state;
  }

  /**
   * The order's check if it answers within ORDER_QUEUE_AFTER, else its queued state: behind the user's
   * queued orders, when the admission has no slot in time, when the order service does not answer in
   * time (a start still on its way is found by the intake's, by workflow id).
   */
  async function checkedOrQueued(orderId: string, req: OrderRequest, receivedAt: Date): Promise<OrderState> {
    const queue = await intake.queueOf(req.user, orderId).catch(() => ({ entry: undefined, waiting: false }));
    if (queue.entry) return intake.record(orderId, req, receivedAt, false);
    if (!queue.waiting) {
      const bound = receivedAt.getTime() + cfg.ORDER_QUEUE_AFTER;
      let tried = false; // the start reached Temporal: its workflow may exist (a cancel goes to it)
      const direct = admission.run(bound, (msLeft) => {
        tried = true;
        return orders.start(orderId, req, Math.max(msLeft, cfg.ORDER_START_TIMEOUT), receivedAt);
      });
      direct.catch(() => undefined); // answered below, or its intake start takes over
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(0, bound - Date.now()));
      });
      try {
        const state = await Promise.race([direct, late]);
        if (state) return state;
      } catch (err) {
        if (!(err instanceof OrderError) || (err.kind !== 'overloaded' && err.kind !== 'unavailable'))
          throw err;
      } finally {
        clearTimeout(timer);
      }
      return intake.record(orderId, req, receivedAt, tried);
    }
    return intake.record(orderId, req, receivedAt, false);
  }

  /**
   * Withdraws the order (the cancel's answer: Canceled, or the final state it reached first). A queued
   * order of the reader's is canceled on the intake, with no Temporal call; one the intake took
   * meanwhile is canceled by its workflow once its start has landed (within ORDER_START_TIMEOUT).
   * An operator (`reader` undefined) reaches an order once it has started.
   */
  async function cancel(orderId: string, by: string, reader: string | undefined): Promise<OrderState> {
    if (reader !== undefined) {
      let queued: Awaited<ReturnType<OrderIntake['cancelQueued']>>;
      try {
        queued = await intake.cancelQueued(reader, orderId, by);
      } catch (err) {
        throw new OrderError('unavailable', 'unavailable', `Redis is unavailable: ${(err as Error).message}`);
      }
      if (queued.outcome === 'canceled') return queued.state;
      if (queued.outcome === 'started') {
        const deadline = Date.now() + cfg.ORDER_START_TIMEOUT;
        for (;;) {
          try {
            return await orders.cancel(orderId, by, reader);
          } catch (err) {
            const starting = err instanceof OrderError && err.kind === 'not_found';
            if (!starting || Date.now() > deadline) {
              if (!starting) throw err;
              throw new OrderError(
                'unavailable',
                'unavailable',
                `order ${orderId} is being started from the queue; retry the cancel shortly`,
                undefined,
                { orderId },
              );
            }
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
    }
    return orders.cancel(orderId, by, reader);
  }

  return { place, cancel, admission };
}

export type OrderPlacer = ReturnType<typeof createOrderPlacer>;
