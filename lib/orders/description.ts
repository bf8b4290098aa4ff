// What a buy order's workflow description alone says of it (its search attributes, and a limit's terms
// from its memo), without a worker: the long poll's owner check and its answer while stopping.
import type { Client } from '@temporalio/client';
import type { LimitTerms, OrderState } from '../contracts/orders';
import { ORDER_SEARCH_KEYS, ORDER_STATUS_KEYWORD, statusText } from '../contracts/orders';

export type OrderDescription = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;

/** A limit's terms as the start wrote them in the memo; undefined for a market order or a memo without them. */
function limitFromMemo(memo: Record<string, unknown> | undefined): LimitTerms | undefined {
  const l = memo?.limit as Partial<LimitTerms> | undefined;
  if (
    !l ||
    !Number.isSafeInteger(l.limitPrice) ||
    (l.timeInForce !== 'day' && l.timeInForce !== 'gtc') ||
    typeof l.expiresAt !== 'string'
  )
    return undefined;
  return { limitPrice: l.limitPrice!, timeInForce: l.timeInForce, expiresAt: l.expiresAt };
}

/**
 * What the description alone says of a running order (its search attributes, and a limit's terms from
 * its memo), without a worker.
 */
export function stateFromDescription(orderId: string, desc: OrderDescription): OrderState {
  const keyword = desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.status);
  const phase =
    (Object.entries(ORDER_STATUS_KEYWORD).find(([, k]) => k === keyword)?.[0] as OrderState['phase']) ??
    'pending';
  const side = desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.side) === 'sell' ? 'sell' : 'buy';
  const limit = limitFromMemo(desc.memo);
  return {
    orderId,
    user: desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.user) ?? '',
    stockId: desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.stock) ?? '',
    quantity: desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.quantity) ?? 0,
    side,
    phase,
    status: statusText(phase, side),
    ...(limit ? { limit } : {}),
    receivedAt: desc.startTime.toISOString(),
    updatedAt: new Date().toISOString(),
  };
}
