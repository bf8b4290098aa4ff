// The order read model's pure parts: which order-events messages are usable (and the DLQ reason of
// those that are not), the list member's sort order, and the GET /orders cursor.
import { randomUUID } from 'node:crypto';
import { decodeOrderCursor, encodeOrderCursor } from '../../lib/contracts/http/reads';
import { ORDER_STATUS_TEXT, type OrderEvent } from '../../lib/contracts/orders';
import { orderListMember } from '../../lib/orders/read-model/apply';
import { orderDeadLetterReason } from '../../lib/orders/read-model/metrics';
import { parseOrderEventMessage } from '../../lib/orders/read-model/parse';

const orderId = randomUUID();
const at = '2026-01-01T00:00:00.000Z';
const after = {
  orderId,
  user: 'user1',
  stockId: '44891482026867833',
  quantity: 10,
  phase: 'inProgress' as const,
  status: ORDER_STATUS_TEXT.inProgress,
  price: 2_850,
  amount: 28_500,
  receivedAt: at,
  updatedAt: at,
};
const event: OrderEvent = {
  eventId: `${orderId}:1`,
  orderId,
  seq: 1,
  before: { ...after, phase: 'pending' },
  after,
};
const message = (value: unknown, key: string | null = orderId) => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});

test('a well-formed event is usable', () => {
  expect(parseOrderEventMessage(message(event))).toEqual({ ok: true, event });
  expect(parseOrderEventMessage(message(event, null)).ok).toBe(true);
});

test.each([
  ['empty', message(null), 'empty'],
  ['not JSON', message('{nope'), 'not_json'],
  ['no seq', message({ ...event, seq: undefined }), 'invalid'],
  ['an unknown phase', message({ ...event, after: { ...after, phase: 'maybe' } }), 'invalid'],
  ['an eventId not <orderId>:<seq>', message({ ...event, eventId: `${orderId}:2` }), 'invalid'],
  ['after of another order', message({ ...event, after: { ...after, orderId: randomUUID() } }), 'invalid'],
  ['a key not the orderId', message(event, 'other'), 'key_mismatch'],
])('%s goes to the DLQ with its reason', (_, m, label) => {
  const r = parseOrderEventMessage(m);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(orderDeadLetterReason(r.reason)).toBe(label);
});

test('list members sort by receivedAt, then orderId; cursors round-trip and forgeries are refused', () => {
  const a = orderListMember('2026-01-01T00:00:00.000Z', 'ffffffff-0000-4000-8000-000000000000');
  const b = orderListMember('2026-01-01T00:00:00.001Z', '00000000-0000-4000-8000-000000000000');
  const c = orderListMember('2026-01-01T00:00:00.001Z', '00000000-0000-4000-8000-000000000001');
  expect([c, a, b].sort()).toEqual([a, b, c]);
  expect(decodeOrderCursor(encodeOrderCursor(b))).toBe(b);
  expect(decodeOrderCursor(encodeOrderCursor('1|x'))).toBeUndefined();
  expect(decodeOrderCursor('bm9wZQ')).toBeUndefined();
});
