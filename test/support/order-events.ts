// Synthetic `order-events` messages for a user with many orders: the read-model scale test applies
// them directly, the bench (`npm run bench -- --only orders-list`) publishes them to Kafka.
import { randomUUID } from 'node:crypto';
import { ORDER_STATUS_TEXT, type OrderEvent, type OrderPhase } from '../../lib/contracts/orders';

export const SYNTHETIC_STOCKS = ['778253364357513', '44891482026867833'] as const;
const PHASES: OrderPhase[] = ['succeeded', 'failed', 'denied', 'inProgress'];

/**
 * The i-th order of `user`: phases and stocks in turn (succeeded, failed, denied, in progress; two
 * stocks), received one second after the previous, each a new order id with its first event.
 */
export function syntheticOrderEvent(user: string, i: number): OrderEvent {
  const orderId = randomUUID();
  const phase = PHASES[i % PHASES.length];
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1_000).toISOString();
  const after = {
    orderId,
    user,
    stockId: SYNTHETIC_STOCKS[i % SYNTHETIC_STOCKS.length],
    quantity: 1,
    phase,
    status: ORDER_STATUS_TEXT[phase],
    receivedAt: at,
    updatedAt: at,
  };
  return { eventId: `${orderId}:1`, orderId, seq: 1, before: { ...after, phase: 'pending' }, after };
}
