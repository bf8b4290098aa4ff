// The buy-order flow end to end on the real test stack: the API (createApp), the real orders worker
// in-process, Redis, Kafka and Temporal; only the external verifier is a scripted HTTP server.
import { holdingsKey, orderKey } from '../../../lib/store/keys';
import { buyOrderWorkflowId, ORDER_STATUS_TEXT, type OrderEvent } from '../../../lib/contracts/orders';
import type { OrderView } from '../../../lib/orders/view';
import { startApi } from '../../support/app-harness';
import { putPrice, SAIPA, userMoney } from '../../support/accounts';
import { http } from '../../support/http';
import {
  countOrders,
  eventually,
  type OrderStack,
  startOrderStack,
  watchOrderEvents,
} from '../../support/order-harness';
import { authOf, newUser, putUser } from '../../support/users';
import { SLOW_MS } from '../../support/verifiers';
import { testConfig } from '../../support/test-stack';

const PRICE = 2_850;
const QTY = 100;
const AMOUNT = PRICE * QTY;

type Result = OrderView & { waitedMs: number };

/** The order whose verification stalls for real, with the default 60 s timeout. */
let realStall: { orderId: string; user: string; started: number; status: string } | undefined;

let stack: OrderStack | undefined;
let { verifier, worker, api } = {} as OrderStack;
let orderEvents: Awaited<ReturnType<typeof watchOrderEvents>>;
const redis = () => worker.redis;

beforeAll(async () => {
  // Generous start timeout and in-flight limit: on a busy 2-core machine pass/fail must not depend on
  // speed (the 50-order burst below tests the credit check, not the admission limit, which
  // orders-outage.test.ts tests).
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '60s', ORDER_MAX_IN_FLIGHT: '100' }, { price: PRICE });
  ({ verifier, worker, api } = stack);
  orderEvents = await watchOrderEvents();
  // The order whose verification stalls for the real 60 s goes first, so its minute runs alongside
  // every other test of the file (checked by the first verification-timeout test and the last test).
  const user = newUser('stall');
  await putUser(redis(), user, 1_000_000);
  const started = Date.now();
  const { body } = await post({ user, stockid: SAIPA, quantity: QTY });
  realStall = { orderId: body.orderId, user, started, status: body.status };
});

afterAll(async () => {
  await orderEvents?.stop();
  await stack?.stop();
});

/** Order id → its user, so reads go with the owner's key. */
const owners = new Map<string, string>();
const post = async (
  body: { user: string; stockid: string; quantity: number },
  headers: Record<string, string> = {},
  base = api.url,
) => {
  const res = await http<OrderView>(`${base}/orders`, {
    json: body,
    headers: { ...authOf(body.user), ...headers },
  });
  if (res.body.orderId) owners.set(res.body.orderId, body.user);
  return res;
};
const ownerAuth = (orderId: string) => authOf(owners.get(orderId)!);
const result = (orderId: string, wait: number, base = api.url) =>
  http<Result>(`${base}/orders/${orderId}/result?wait=${wait}`, { headers: ownerAuth(orderId) });
const current = (orderId: string) =>
  http<OrderView>(`${api.url}/orders/${orderId}`, { headers: ownerAuth(orderId) });

describe('the four outcomes, to the letter', () => {
  test('credit too low: Deny: Not enough credit, nothing reserved', async () => {
    const user = newUser('ok');
    await putUser(redis(), user, AMOUNT - 1);
    const res = await post({ user, stockid: SAIPA, quantity: QTY });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('Deny: Not enough credit');
    expect(res.body).toEqual(
      expect.objectContaining({ phase: 'denied', final: true, price: PRICE, amount: AMOUNT }),
    );
    expect((await result(res.body.orderId, 10)).body.status).toBe('Deny: Not enough credit');
    expect(await userMoney(redis(), user)).toEqual({ credit: AMOUNT - 1, reserved: 0 });
  });

  test('credit suffices: In Progress at once, then Success: Buy order complete., settled', async () => {
    const user = newUser('slow');
    await putUser(redis(), user, 1_000_000);
    const res = await post({ user, stockid: SAIPA, quantity: QTY });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('In Progress: Credit check passed. User verification in progress...');
    expect(res.headers.get('location')).toBe(`/orders/${res.body.orderId}`);
    // The answer came before the (1.5 s) verification could have ended: the POST waits for nothing else.
    expect((await current(res.body.orderId)).body.phase).toBe('inProgress');
    expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000, reserved: AMOUNT });

    const final = await result(res.body.orderId, 30);
    expect(final.body.status).toBe('Success: Buy order complete.');
    expect(final.body.final).toBe(true);
    expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 });
    expect(await redis().hget(holdingsKey(user), SAIPA)).toBe(String(QTY));
    expect((await current(res.body.orderId)).body.status).toBe('Success: Buy order complete.');
  });

  test('verifier says no: Failure: User verification unsuccessful., reservation released', async () => {
    const user = newUser('no');
    await putUser(redis(), user, 1_000_000);
    const res = await post({ user, stockid: SAIPA, quantity: QTY });
    expect(res.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
    const final = await result(res.body.orderId, 30);
    expect(final.body.status).toBe('Failure: User verification unsuccessful.');
    expect(final.body.reason).toBe('the verifier answered no');
    expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000, reserved: 0 });
    expect(await redis().hget(holdingsKey(user), SAIPA)).toBeNull();
  });

  test('every state change is on Kafka order-events with before and after', async () => {
    const user = newUser('ok');
    await putUser(redis(), user, 1_000_000);
    const { body } = await post({ user, stockid: SAIPA, quantity: QTY });
    await result(body.orderId, 30);
    const sent = await eventually('the final order event', async () => {
      const e = orderEvents.events.get(body.orderId);
      return e?.some((x) => x.seq === 2) ? e : undefined;
    });
    // A step may send an event again (the In Progress one goes once more with the final one): by
    // eventId, each once, in order.
    const events = [...new Map(sent.map((e) => [e.eventId, e])).values()];
    expect(events.map((e: OrderEvent) => [e.seq, e.before.phase, e.after.phase])).toEqual([
      [1, 'pending', 'inProgress'],
      [2, 'inProgress', 'succeeded'],
    ]);
    expect(events[1].after.status).toBe('Success: Buy order complete.');
  });
});

describe('verification timeout', () => {
  test('the 60 s start-to-close timeout is what the workflow schedules verifyUser with', async () => {
    expect(testConfig().VERIFY_TIMEOUT).toBe(60_000);
    expect(realStall?.status).toBe(ORDER_STATUS_TEXT.inProgress);
    const handle = api.deps.temporal.workflow.getHandle(buyOrderWorkflowId(realStall!.orderId));
    const scheduled = await eventually('verifyUser scheduled', async () => {
      const history = await handle.fetchHistory();
      return history.events?.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyUser',
      )?.activityTaskScheduledEventAttributes;
    });
    expect(Number(scheduled!.startToCloseTimeout!.seconds)).toBe(60);
    expect(Number(scheduled!.scheduleToCloseTimeout!.seconds)).toBe(60);
    // Its end is checked by the last test of this file, so the 60 s run alongside the others.
  });

  test('a stalled verification is cut at the timeout: Failure, call aborted, reservation released', async () => {
    const shortApi = await startApi(testConfig({ ORDER_START_TIMEOUT: '60s', VERIFY_TIMEOUT: '3s' }));
    try {
      const user = newUser('stall');
      await putUser(redis(), user, 1_000_000);
      const started = Date.now();
      const { body } = await post({ user, stockid: SAIPA, quantity: QTY }, {}, shortApi.url);
      expect(body.status).toBe(ORDER_STATUS_TEXT.inProgress);
      expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000, reserved: AMOUNT });
      const final = await result(body.orderId, 60, shortApi.url);
      const tookMs = Date.now() - started;
      expect(final.body.status).toBe('Failure: User verification unsuccessful.');
      expect(final.body.reason).toBe('verification timed out after 3000 ms');
      expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000, reserved: 0 });
      // The outbound call was cut, not left hanging: the verifier saw the caller hang up.
      const abortedAfter = await eventually('the verifier call aborted', async () =>
        verifier.aborted.get(body.orderId),
      );
      expect(abortedAfter).toBeGreaterThanOrEqual(2_500);
      expect(abortedAfter).toBeLessThan(15_000);
      expect(verifier.requests.filter((id) => id === body.orderId)).toHaveLength(1); // not retried past it
      process.stderr.write(
        `[orders] stalled verification: Failure after ${tookMs} ms, call aborted after ${abortedAfter} ms\n`,
      );
    } finally {
      await shortApi.close();
    }
  });
});

describe('long poll', () => {
  test('the result answers when the workflow completes, not when the wait runs out', async () => {
    const user = newUser('slow');
    await putUser(redis(), user, 1_000_000);
    const { body } = await post({ user, stockid: SAIPA, quantity: QTY });
    const final = await result(body.orderId, 50);
    const answeredAt = Date.now();
    expect(final.body.final).toBe(true);
    expect(final.body.status).toBe('Success: Buy order complete.');
    // Parked ~SLOW_MS on the verification; the 50 s wait did not run out.
    expect(final.body.waitedMs).toBeLessThan(40_000);
    const desc = await api.deps.temporal.workflow.getHandle(buyOrderWorkflowId(body.orderId)).describe();
    const lagMs = answeredAt - desc.closeTime!.getTime();
    process.stderr.write(
      `[orders] long poll: waited ${final.body.waitedMs} ms (verification ${SLOW_MS} ms); answer ${lagMs} ms after the workflow's close time\n`,
    );
    expect(lagMs).toBeLessThan(10_000);
  });

  test('when the wait runs out it answers the current state', async () => {
    const user = newUser('slow');
    await putUser(redis(), user, 1_000_000);
    const { body } = await post({ user, stockid: SAIPA, quantity: QTY });
    const early = await result(body.orderId, 0.2);
    expect(early.status).toBe(200);
    expect(early.body).toEqual(
      expect.objectContaining({ final: false, status: ORDER_STATUS_TEXT.inProgress }),
    );
    expect(early.body.waitedMs).toBeGreaterThanOrEqual(200);
    expect((await result(body.orderId, 30)).body.status).toBe('Success: Buy order complete.');
  });
});

describe('stock ids beyond the safe integers', () => {
  test('44891482026867833 sent as a JSON number reaches the credit check intact', async () => {
    const rounded = '44891482026867830'; // what JSON.parse would make of it
    await putPrice(redis(), rounded, 9_999);
    const user = newUser('ok');
    await putUser(redis(), user, 10_000_000);
    const res = await http<OrderView>(`${api.url}/orders`, {
      headers: authOf(user),
      raw: `{"user": "${user}", "stockid": 44891482026867833, "quantity": 10}`,
    });
    expect(res.status).toBe(201);
    owners.set(res.body.orderId, user);
    expect(res.body.stockid).toBe('44891482026867833');
    expect(res.body.price).toBe(PRICE); // SAIPA's price, not the trap at the rounded id
    expect(await redis().hget(orderKey(user, res.body.orderId), 'stockId')).toBe('44891482026867833');
    await result(res.body.orderId, 30);
    expect(await redis().hgetall(holdingsKey(user))).toEqual({ '44891482026867833': '10' });
  });

  test('and as a string, and on the /BuyStock alias', async () => {
    const user = newUser('ok');
    await putUser(redis(), user, 10_000_000);
    const res = await http<OrderView>(`${api.url}/BuyStock`, {
      headers: authOf(user),
      raw: `{"user":"${user}","stockid":"44891482026867833","quantity":10}`,
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(
      expect.objectContaining({ stockid: SAIPA, status: ORDER_STATUS_TEXT.inProgress }),
    );
  });
});

describe('Idempotency-Key', () => {
  test('a retried POST returns the same order, and reserves once', async () => {
    const user = newUser('slow');
    await putUser(redis(), user, 1_000_000);
    const order = { user, stockid: SAIPA, quantity: QTY };
    const first = await post(order, { 'Idempotency-Key': 'retry-me-1' });
    const again = await post(order, { 'Idempotency-Key': 'retry-me-1' });
    expect(again.status).toBe(201);
    expect(again.body.orderId).toBe(first.body.orderId);
    expect(again.body.status).toBe(first.body.status);
    expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000, reserved: AMOUNT });
    await result(first.body.orderId, 30);
    // After it finished, a retry still finds it: the same order, now decided, and no second order.
    const late = await post(order, { 'Idempotency-Key': 'retry-me-1' });
    expect(late.body).toEqual(
      expect.objectContaining({ orderId: first.body.orderId, status: ORDER_STATUS_TEXT.succeeded }),
    );
    expect((await current(first.body.orderId)).body.status).toBe(ORDER_STATUS_TEXT.succeeded);
    expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 });
    // The same key for a different order is refused.
    const other = await post({ ...order, quantity: 5 }, { 'Idempotency-Key': 'retry-me-1' });
    expect(other.status).toBe(422);
    expect(other.body).toEqual(
      expect.objectContaining({ error: 'idempotency_key_reused', field: 'Idempotency-Key' }),
    );
    await eventually('the order visible', async () =>
      (await countOrders(api.deps.temporal, `OrderUser = "${user}"`)) > 0 ? true : undefined,
    );
    expect(await countOrders(api.deps.temporal, `OrderUser = "${user}"`)).toBe(1);
  });
});

describe('concurrency', () => {
  test('50 concurrent orders, credit for 10: exactly 10 pass, and the money adds up', async () => {
    const user = newUser('conc');
    const credit = 10 * AMOUNT + AMOUNT - 1; // 10 orders and not quite an 11th
    await putUser(redis(), user, credit);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => post({ user, stockid: SAIPA, quantity: QTY })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(201));
    const passed = answers.filter((a) => a.body.status === ORDER_STATUS_TEXT.inProgress);
    const denied = answers.filter((a) => a.body.status === ORDER_STATUS_TEXT.denied);
    expect([passed.length, denied.length]).toEqual([10, 40]);
    // Mid-flight: spent so far + still reserved = what passed, and never more is reserved than is there.
    const mid = await userMoney(redis(), user);
    expect(credit - mid.credit + mid.reserved).toBe(10 * AMOUNT);
    expect(mid.reserved).toBeLessThanOrEqual(mid.credit);
    const finals = await Promise.all(passed.map((a) => result(a.body.orderId, 50)));
    expect(finals.map((f) => f.body.status)).toEqual(Array(10).fill(ORDER_STATUS_TEXT.succeeded));
    const end = await userMoney(redis(), user);
    const spent = 10 * AMOUNT;
    expect(end).toEqual({ credit: credit - spent, reserved: 0 });
    expect(end.credit + end.reserved + spent).toBe(credit);
    expect(await redis().hget(holdingsKey(user), SAIPA)).toBe(String(10 * QTY));
  });
});

describe('the real 60 s (placed in beforeAll, checked last)', () => {
  test('a verification stalled past 60 s ends in Failure at 60 s, call aborted, reservation released', async () => {
    expect(realStall).toBeDefined();
    const { orderId, user, started } = realStall!;
    let final: Result | undefined;
    while (!final?.final) final = (await result(orderId, 60)).body;
    const tookMs = Date.now() - started;
    expect(final.status).toBe('Failure: User verification unsuccessful.');
    expect(final.reason).toBe('verification timed out after 60000 ms');
    expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000, reserved: 0 });
    const abortedAfter = await eventually('the verifier call aborted', async () =>
      verifier.aborted.get(orderId),
    );
    expect(abortedAfter).toBeGreaterThanOrEqual(59_000);
    expect(abortedAfter).toBeLessThan(90_000);
    expect(verifier.requests.filter((id) => id === orderId)).toHaveLength(1);
    expect(tookMs).toBeGreaterThanOrEqual(60_000);
    process.stderr.write(
      `[orders] real 60 s stall: Failure after ${tookMs} ms, call aborted after ${abortedAfter} ms\n`,
    );
  }, 180_000);
});
