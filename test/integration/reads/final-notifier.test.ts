// The long poll's wake-up from the read model, on the test stack's real Redis: applying an order's
// final event (the order-events consumer's one write, apply.ts) wakes whoever waits on that order, with
// the stored view; a view already final answers at once; an In Progress event or a replay wakes nobody;
// and the subscriber connection is gone once nobody waits.
import { randomUUID } from 'node:crypto';
import { ORDER_STATUS_TEXT, type OrderEvent, type OrderState } from '../../../lib/contracts/orders';
import { createRedis, type Redis } from '../../../lib/infra/redis';
import { applyOrderEvents } from '../../../lib/orders/read-model/apply';
import { createFinalNotifier } from '../../../lib/orders/read-model/final-notifier';
import { orderView } from '../../../lib/orders/view';
import { testConfig } from '../../support/test-stack';

let redis: Redis;

beforeAll(() => {
  redis = createRedis(testConfig());
});

afterAll(() => {
  redis?.disconnect();
});

function orderOf(user: string): { progress: OrderEvent; final: OrderEvent } {
  const orderId = randomUUID();
  const at = new Date().toISOString();
  const pending: OrderState = {
    orderId,
    user,
    stockId: '44891482026867833',
    quantity: 1,
    phase: 'pending',
    status: ORDER_STATUS_TEXT.pending,
    receivedAt: at,
    updatedAt: at,
  };
  const inProgress = { ...pending, phase: 'inProgress' as const, status: ORDER_STATUS_TEXT.inProgress };
  const succeeded = { ...inProgress, phase: 'succeeded' as const, status: ORDER_STATUS_TEXT.succeeded };
  return {
    progress: { eventId: `${orderId}:1`, orderId, seq: 1, before: pending, after: inProgress },
    final: { eventId: `${orderId}:2`, orderId, seq: 2, before: inProgress, after: succeeded },
  };
}

const settle = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms))]);

test('the final event wakes the waiter with its view; In Progress does not', async () => {
  const notifier = createFinalNotifier(redis);
  const user = `notify-${randomUUID()}`;
  const { progress, final } = orderOf(user);
  const ac = new AbortController();
  const waiting = notifier.waitFinal(user, final.orderId, ac.signal);
  await applyOrderEvents(redis, [progress], 1_000);
  expect(await settle(waiting, 300)).toBe('still waiting');
  const applied = Date.now();
  await applyOrderEvents(redis, [final], 1_000);
  expect(await settle(waiting, 2_000)).toEqual(orderView(final.after));
  process.stderr.write(`[final-notifier] woken ${Date.now() - applied} ms after the apply\n`);
  expect(notifier.channels).toBe(0);
});

test('a view already final answers at once; a replay of the final event wakes nobody', async () => {
  const notifier = createFinalNotifier(redis);
  const user = `notify-${randomUUID()}`;
  const { progress, final } = orderOf(user);
  await applyOrderEvents(redis, [progress, final], 1_000);
  const ac = new AbortController();
  expect(await settle(notifier.waitFinal(user, final.orderId, ac.signal), 2_000)).toEqual(
    orderView(final.after),
  );

  // Another order, only In Progress stored: a replayed final event of the first order is not its wake-up.
  const other = orderOf(user);
  await applyOrderEvents(redis, [other.progress], 1_000);
  const waiting = notifier.waitFinal(user, other.final.orderId, ac.signal);
  await applyOrderEvents(redis, [final], 1_000);
  expect(await settle(waiting, 300)).toBe('still waiting');
  ac.abort();
  expect(await waiting).toBeUndefined();
  expect(notifier.channels).toBe(0);
});
