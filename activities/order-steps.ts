// What the buyOrder workflow asks of its order activities and what they answer: the order a step is
// for, a check's request and answer, a limit order's fill (activities/orders.ts carries them out).
import type { OrderEvent, OrderRefusal, OrderSide, PriceCrossing } from '../lib/contracts/orders';

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

export const refused = (refusal: OrderRefusal): ReserveResult => ({ outcome: 'refused', refusal });
