// Reading the order read model (written by the order-events consumer, lib/orders/read-model): a user's
// orders newest first, optionally of one phase, one stock and/or one side, a page at a time.
import type { OrderView } from '../contracts/http/orders';
import type { OrderPhase, OrderSide, OrderType } from '../contracts/orders';
import type { Redis } from '../infra/redis';
import { orderListKey, orderPhaseListKey, orderStockListKey, orderViewsKey } from './keys';

export interface OrderListQuery {
  phase?: OrderPhase;
  stockId?: string;
  side?: OrderSide;
  type?: OrderType;
  limit: number;
  /** The list member of the last order of the previous page: this page starts after it. */
  after?: string;
}

export interface OrderPage {
  orders: OrderView[];
  /** The member to continue after, when there may be more. */
  next?: string;
}

/** With two filters, at most this many entries of the narrower index are looked at per page. */
const MAX_SCANNED = 2_000;

const orderIdOf = (member: string) => member.slice(member.indexOf('|') + 1);

/**
 * One page, newest first. The index read is the phase's list (or the stock's, or all orders); a second
 * filter is applied to the views, scanning at most MAX_SCANNED entries (a short page then still carries
 * `next`, so the client goes on).
 */
export async function readOrderPage(redis: Redis, user: string, q: OrderListQuery): Promise<OrderPage> {
  const index = q.phase
    ? orderPhaseListKey(user, q.phase)
    : q.stockId
      ? orderStockListKey(user, q.stockId)
      : orderListKey(user);
  // The index serves one filter; any other is applied to the views (a bounded scan per page).
  const needsStockFilter = q.phase !== undefined && q.stockId !== undefined;
  const needsFilter = needsStockFilter || q.side !== undefined || q.type !== undefined;
  // Views stored before limit orders existed have no type: they are market orders.
  const matches = (v: OrderView) =>
    (!needsStockFilter || v.stockid === q.stockId) &&
    (q.side === undefined || (v.side ?? 'buy') === q.side) &&
    (q.type === undefined || (v.type ?? 'market') === q.type);
  const orders: OrderView[] = [];
  let start = q.after === undefined ? '+' : `(${q.after}`;
  let scanned = 0;
  for (;;) {
    const want = needsFilter ? Math.min(500, MAX_SCANNED - scanned) : q.limit - orders.length;
    // One more than needed: whether a next page exists is known without another round trip.
    const members = await redis.zrevrangebylex(index, start, '-', 'LIMIT', 0, want + 1);
    const taken = members.slice(0, want);
    if (taken.length === 0) return { orders };
    const raws = await redis.hmget(orderViewsKey(user), ...taken.map(orderIdOf));
    for (let i = 0; i < taken.length; i++) {
      const raw = raws[i];
      if (raw === null || raw === undefined) continue;
      const view = JSON.parse(raw) as OrderView;
      if (needsFilter && !matches(view)) continue;
      // Views stored before sells existed have no side: they are buys.
      orders.push({ ...view, side: view.side ?? 'buy', type: view.type ?? 'market' });
      if (orders.length === q.limit) {
        const more = i < taken.length - 1 || members.length > want;
        return more ? { orders, next: taken[i] } : { orders };
      }
    }
    scanned += taken.length;
    const last = taken[taken.length - 1];
    if (members.length <= want) return { orders };
    if (scanned >= MAX_SCANNED) return { orders, next: last };
    start = `(${last}`;
  }
}

/** How many orders the user has in the read model. */
export const countOrders = (redis: Redis, user: string) => redis.zcard(orderListKey(user));
