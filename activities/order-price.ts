// How an order's check is priced: the latest fresh tick (a limit order: its own limit), the amount it
// makes, the check's answer from the recorded outcome, and a limit order just listed that the latest
// tick crosses already.
import { ApplicationFailure } from '@temporalio/activity';
import { crossesLimit, type OrderSide, type PriceCrossing } from '../lib/contracts/orders';
import type { PriceTick } from '../lib/contracts/price-tick';
import type { Redis } from '../lib/infra/redis';
import { stalePriceError } from '../lib/orders/tradable';
import { readSurvivingFailover } from '../lib/store/cluster';
import { orderMoneyState } from '../lib/store/credit';
import { listLimitOrder, type LimitListing } from '../lib/store/limit-book';
import { readLatestTick } from '../lib/store/price-history';
import { refused, type CreditChecked, type ReserveRequest, type ReserveResult } from './order-steps';

/**
 * The price an order's check uses: the latest tick if fresh; else the refusal (an order already
 * recorded keeps the price it was checked with: a retry after a moment never refuses it).
 */
export async function priceFor(
  redis: Redis,
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
export async function listIfLimit(
  redis: Redis,
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

/** The check's answer from the script's recorded outcome (a replay after the order moved on had been reserved). */
export function checkedOf(
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
export function amountOf(price: number, quantity: number): { amount: number } {
  const amount = price * quantity;
  if (!Number.isSafeInteger(amount)) {
    throw ApplicationFailure.nonRetryable(
      `price × quantity overflows: ${price} × ${quantity}`,
      'AmountOverflow',
    );
  }
  return { amount };
}
