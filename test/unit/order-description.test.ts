// stateFromDescription (lib/orders/description.ts): an order's state told from its workflow's description
// alone (no worker answers the query), a limit order's terms included, from the memo the start wrote.
import { TypedSearchAttributes } from '@temporalio/common';
import { ORDER_SEARCH_KEYS, ORDER_STATUS_TEXT } from '../../lib/contracts/orders';
import { stateFromDescription, type OrderDescription } from '../../lib/orders/description';

const limit = { limitPrice: 2_800, timeInForce: 'gtc', expiresAt: '2026-01-30T00:00:00.000Z' } as const;

/** The parts of a description stateFromDescription reads, as a start of that order leaves them. */
const description = (memo: Record<string, unknown> | undefined, status = 'Open') =>
  ({
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ORDER_SEARCH_KEYS.user, value: 'user1' },
      { key: ORDER_SEARCH_KEYS.stock, value: '44891482026867833' },
      { key: ORDER_SEARCH_KEYS.quantity, value: 100 },
      { key: ORDER_SEARCH_KEYS.status, value: status },
      { key: ORDER_SEARCH_KEYS.side, value: 'buy' },
      { key: ORDER_SEARCH_KEYS.type, value: memo?.limit ? 'limit' : 'market' },
    ]),
    memo,
    startTime: new Date('2025-12-31T00:00:00.000Z'),
  }) as unknown as OrderDescription;

test('an open limit order: its phase from OrderStatus and its terms from the memo', () => {
  const state = stateFromDescription('o1', description({ user: 'user1', type: 'limit', limit }));
  expect(state).toMatchObject({
    orderId: 'o1',
    user: 'user1',
    stockId: '44891482026867833',
    quantity: 100,
    side: 'buy',
    phase: 'open',
    status: ORDER_STATUS_TEXT.open,
    limit,
    receivedAt: '2025-12-31T00:00:00.000Z',
  });
});

test('a market order, or a memo without whole limit terms, has no limit', () => {
  expect(stateFromDescription('o2', description({ type: 'market' }, 'InProgress')).limit).toBeUndefined();
  expect(stateFromDescription('o3', description(undefined, 'InProgress')).limit).toBeUndefined();
  for (const broken of [
    { ...limit, limitPrice: '2800' },
    { ...limit, limitPrice: 2_800.5 },
    { ...limit, timeInForce: 'week' },
    { limitPrice: 2_800, timeInForce: 'day' },
  ]) {
    expect(stateFromDescription('o4', description({ type: 'limit', limit: broken })).limit).toBeUndefined();
  }
});
