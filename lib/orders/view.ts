// The client-facing view of an order: what GET /orders/:id, the long poll and POST /orders answer.
import type { OrderView } from '../contracts/http/orders';
import { isFinal, type OrderState } from '../contracts/orders';

export type { OrderView };

export function orderView(s: OrderState): OrderView {
  return {
    orderId: s.orderId,
    user: s.user,
    stockid: s.stockId,
    quantity: s.quantity,
    side: s.side ?? 'buy',
    type: s.limit ? 'limit' : 'market',
    ...(s.limit
      ? { limitPrice: s.limit.limitPrice, timeInForce: s.limit.timeInForce, expiresAt: s.limit.expiresAt }
      : {}),
    status: s.status,
    phase: s.phase,
    final: isFinal(s.phase),
    ...(s.price !== undefined ? { price: s.price, amount: s.amount } : {}),
    ...(s.priceMinute ? { priceMinute: s.priceMinute } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    receivedAt: s.receivedAt,
    updatedAt: s.updatedAt,
  };
}
