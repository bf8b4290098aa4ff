// With the worker or Temporal itself down, POST /orders records the order on the burst intake and answers
// 202 within ORDER_QUEUE_AFTER; it goes on by itself once things are back, checked in arrival order. Only
// with nowhere to record it (Kafka down too) is the answer 503.
import { startService, stopService } from '../../../scripts/stack/local-stack';
import type { OrderView } from '../../../lib/orders/view';
import { orderIdForIdempotencyKey } from '../../../lib/orders/order-id';
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { createRedis } from '../../../lib/infra/redis';
import { startApi, type Api } from '../../support/app-harness';
import { putPrice, SAIPA, userMoney } from '../../support/accounts';
import { http } from '../../support/http';
import { eventually, httpVerifier, type OrderWorker, startOrderWorker } from '../../support/order-harness';
import { authOf, newUser, putUser } from '../../support/users';
import { type ScriptedVerifier, startScriptedVerifier } from '../../support/verifiers';
import { testConfig, testLog, testStackSpec } from '../../support/test-stack';

const START_TIMEOUT_MS = 3_000;
const AMOUNT = 2_850 * 10;
const redis = createRedis(testConfig());
let verifier: ScriptedVerifier;
let api: Api;
let worker: OrderWorker | undefined;

beforeAll(async () => {
  verifier = await startScriptedVerifier();
  api = await startApi(
    testConfig({ ORDER_START_TIMEOUT: `${START_TIMEOUT_MS}ms`, ORDER_QUEUE_AFTER: '300ms' }),
  );
  await putPrice(redis, SAIPA, 2_850);
});

// Each test's orders are priced fresh, however long the tests before it took.
beforeEach(() => putPrice(redis, SAIPA, 2_850));

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await verifier?.close();
  redis.disconnect();
});

const post = (body: { user: string; stockid: string; quantity: number }, key: string) =>
  http<OrderView & { error?: string }>(`${api.url}/orders`, {
    json: body,
    headers: { 'Idempotency-Key': key, ...authOf(body.user) },
  });

/** Retries like a client would, while the answer is 503. */
async function postUntilAccepted(body: { user: string; stockid: string; quantity: number }, key: string) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await post(body, key);
    if (res.status !== 503 || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

const resultOf = (user: string, orderId: string, wait = 60) =>
  http<OrderView & { error?: string; waitedMs?: number }>(
    `${api.url}/orders/${orderId}/result?wait=${wait}`,
    {
      headers: authOf(user),
    },
  );

test('worker down: orders are queued (202) within ORDER_QUEUE_AFTER, none refused, and checked in arrival order once a worker returns', async () => {
  const user = newUser('ok');
  await putUser(redis, user, 3 * AMOUNT); // credit for three of the five
  const order = { user, stockid: SAIPA, quantity: 10 };
  const placed = [];
  for (let i = 1; i <= 5; i++) placed.push(await post(order, `queued-${i}`));
  for (const [i, res] of placed.entries()) {
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      orderId: orderIdForIdempotencyKey(user, `queued-${i + 1}`),
      status: 'Pending: Credit check queued.',
      phase: 'queued',
      final: false,
    });
    expect(res.headers.get('location')).toBe(`/orders/${res.body.orderId}`);
    expect(res.ms).toBeLessThan(START_TIMEOUT_MS); // answered at the bound, not at the start's timeout
  }
  const first = placed[0].body.orderId;
  const seen = await http<OrderView>(`${api.url}/orders/${first}`, { headers: authOf(user) });
  expect(seen.body).toMatchObject({
    orderId: first,
    phase: 'queued',
    status: 'Pending: Credit check queued.',
  });
  // A retry with the same key while queued is the same order, queued once.
  const again = await post(order, 'queued-1');
  expect(again.status).toBe(202);
  expect(again.body.orderId).toBe(first);
  expect(await userMoney(redis, user)).toEqual({ credit: 3 * AMOUNT, reserved: 0 });
  process.stderr.write(
    `[orders] worker down: 202 after ${placed.map((p) => Math.round(p.ms)).join('/')} ms\n`,
  );

  worker = await startOrderWorker(httpVerifier(verifier.url));
  const finals = await Promise.all(placed.map((p) => resultOf(user, p.body.orderId)));
  // Checked in the order they arrived: the first three had the credit, the last two did not.
  expect(finals.map((f) => f.body.status)).toEqual([
    ORDER_STATUS_TEXT.succeeded,
    ORDER_STATUS_TEXT.succeeded,
    ORDER_STATUS_TEXT.succeeded,
    ORDER_STATUS_TEXT.denied,
    ORDER_STATUS_TEXT.denied,
  ]);
  expect(await userMoney(redis, user)).toEqual({ credit: 0, reserved: 0 }); // each charged once
  // Started: nothing left queued, so the user's next order is answered directly again.
  expect(await redis.hlen(`{user:${user}}:queued-orders`)).toBe(0);
  // (A check slower than ORDER_QUEUE_AFTER on a loaded host queues too: up to three tries, each denied,
  // each after the queue is empty again.)
  let direct = await post(order, 'after-queue-1');
  for (let i = 2; direct.status === 202 && i <= 3; i++) {
    await eventually('the queue empty', async () =>
      (await redis.hlen(`{user:${user}}:queued-orders`)) === 0 ? true : undefined,
    );
    direct = await post(order, `after-queue-${i}`);
  }
  expect(direct.status).toBe(201);
  expect(direct.body.status).toBe(ORDER_STATUS_TEXT.denied);
  await worker.stop();
  worker = undefined;
});

test('an entry left by an attempt cut off before its send (its API killed): the retry records the order, which is then decided, once', async () => {
  await worker?.stop(); // a failed test's
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const user = newUser('ok');
  await putUser(redis, user, 1_000_000);
  const key = 'cut-off-before-send';
  const orderId = orderIdForIdempotencyKey(user, key);
  // What the first attempt wrote before its API died: the queued entry, with nothing on order-requests.
  const at = new Date().toISOString();
  await redis.hset(
    `{user:${user}}:queued-orders`,
    orderId,
    JSON.stringify({
      orderId,
      request: { user, stockId: SAIPA, quantity: 10, side: 'buy' },
      receivedAt: at,
      queuedAt: at,
    }),
  );
  const retry = await post({ user, stockid: SAIPA, quantity: 10 }, key);
  expect(retry.status).toBe(202);
  expect(retry.body).toMatchObject({ orderId, status: 'Pending: Credit check queued.' });
  const final = await resultOf(user, orderId);
  expect([final.status, final.body.final, final.body.status]).toEqual([
    200,
    true,
    ORDER_STATUS_TEXT.succeeded,
  ]);
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 }); // charged once
  expect(await redis.hlen(`{user:${user}}:queued-orders`)).toBe(0);
  await worker.stop();
  worker = undefined;
});

test('worker down: an order queued behind another is canceled at once (200 Canceled, nothing reserved) and recorded Canceled at its turn', async () => {
  await worker?.stop(); // a failed test's
  worker = undefined;
  const user = newUser('ok');
  await putUser(redis, user, 1_000_000);
  // The first is tried directly (its workflow waits for a worker), the second queues behind it untried.
  const first = await post({ user, stockid: SAIPA, quantity: 10 }, 'queued-first');
  const second = await post({ user, stockid: SAIPA, quantity: 10 }, 'queued-second');
  expect([first.status, second.status]).toEqual([202, 202]);
  const cancel = () =>
    http<OrderView & { error?: string }>(`${api.url}/orders/${second.body.orderId}/cancel`, {
      method: 'POST',
      headers: authOf(user),
    });
  const canceled = await cancel();
  expect(canceled.status).toBe(200);
  expect(canceled.body.status).toBe(ORDER_STATUS_TEXT.canceled);
  expect((await cancel()).body.status).toBe(ORDER_STATUS_TEXT.canceled); // a second cancel: the same
  const waited = await resultOf(user, second.body.orderId, 30);
  expect(waited.body.status).toBe(ORDER_STATUS_TEXT.canceled);
  expect(waited.body.waitedMs).toBeLessThan(5_000); // final at once, not at the end of the wait
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 0 });

  worker = await startOrderWorker(httpVerifier(verifier.url));
  expect((await resultOf(user, first.body.orderId, 75)).body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  // At its turn the canceled one is started only to be recorded: its state then comes from Temporal.
  await eventually('the canceled order off the queue', async () =>
    (await redis.hexists(`{user:${user}}:queued-orders`, second.body.orderId)) === 0 ? true : undefined,
  );
  const recorded = await http<OrderView>(`${api.url}/orders/${second.body.orderId}`, {
    headers: authOf(user),
  });
  expect(recorded.body.status).toBe(ORDER_STATUS_TEXT.canceled);
  expect(recorded.body.reason).toBe(`canceled by ${user} while queued`);
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 });
  await worker.stop();
  worker = undefined;
});

test('a queued order refused at its turn answers its refusal on the long poll and GET /orders/:id', async () => {
  await worker?.stop(); // a failed test's
  worker = undefined;
  const user = newUser('ok');
  await putUser(redis, user, 1_000_000);
  const res = await post({ user, stockid: SAIPA, quantity: 10 }, 'refused-at-turn');
  expect(res.status).toBe(202);
  await redis.del(`{user:${user}}`); // the user is gone by its turn
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const final = await resultOf(user, res.body.orderId);
  expect(final.status).toBe(422);
  expect(final.body.error).toBe('unknown_user');
  const read = await http<{ error: string }>(`${api.url}/orders/${res.body.orderId}`, {
    headers: authOf(user),
  });
  expect(read.status).toBe(422);
  expect(read.body.error).toBe('unknown_user');
  await worker.stop();
  worker = undefined;
});

test('Temporal down: queued (202); after its restart the order goes on by itself, charged once', async () => {
  const spec = testStackSpec();
  const user = newUser('ok');
  await putUser(redis, user, 1_000_000);
  const order = { user, stockid: SAIPA, quantity: 10 };
  await stopService(spec, 'temporal', testLog);
  let orderId: string;
  try {
    const res = await post(order, 'while-temporal-down');
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('Pending: Credit check queued.');
    orderId = res.body.orderId;
    expect(orderId).toBe(orderIdForIdempotencyKey(user, 'while-temporal-down'));
    expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 0 });
    process.stderr.write(`[orders] Temporal down: 202 after ${Math.round(res.ms)} ms\n`);
  } finally {
    await startService(spec, 'temporal', testLog);
  }
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const final = await resultOf(user, orderId, 75);
  expect(final.body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  const again = await post(order, 'while-temporal-down');
  expect(again.body.orderId).toBe(orderId);
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 });
  await worker.stop();
  worker = undefined;
});

test('Kafka and Temporal down: nowhere to record the order → 503 with Retry-After, nothing made', async () => {
  const spec = testStackSpec();
  const user = newUser('ok');
  await putUser(redis, user, 1_000_000);
  const order = { user, stockid: SAIPA, quantity: 10 };
  await stopService(spec, 'temporal', testLog);
  await stopService(spec, 'kafka', testLog);
  try {
    const res = await post(order, 'nowhere');
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('unavailable');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await redis.hlen(`{user:${user}}:queued-orders`)).toBe(0);
    expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 0 });
    process.stderr.write(`[orders] Kafka and Temporal down: 503 after ${Math.round(res.ms)} ms\n`);
  } finally {
    await startService(spec, 'kafka', testLog);
    await startService(spec, 'temporal', testLog);
  }
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const retry = await postUntilAccepted(order, 'nowhere');
  expect([201, 202]).toContain(retry.status);
  expect((await resultOf(user, retry.body.orderId, 75)).body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 });
  await worker.stop();
  worker = undefined;
});

test('worker down: a long poll on an order in progress parks (no 503) and answers once a worker returns', async () => {
  // Regression: the ownership check once read the order through its status query, which needs a
  // worker, so a long poll with the worker down answered 503 after ORDER_START_TIMEOUT.
  await worker?.stop(); // the previous test's
  const user = newUser('slow');
  await putUser(redis, user, 1_000_000);
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const placed = await post({ user, stockid: SAIPA, quantity: 10 }, 'long-poll-no-worker');
  // Checked at once, or queued first when the fresh worker's first task took longer than ORDER_QUEUE_AFTER.
  await eventually(
    'the order in progress',
    async () => {
      const now = await http<OrderView>(`${api.url}/orders/${placed.body.orderId}`, {
        headers: authOf(user),
      });
      return now.body.status === ORDER_STATUS_TEXT.inProgress ? true : undefined;
    },
    10_000,
    50,
  );
  await worker.stop(); // cuts the 1.5 s verification: the order waits for the next worker
  worker = undefined;
  const poll = http<OrderView>(`${api.url}/orders/${placed.body.orderId}/result?wait=50`, {
    headers: authOf(user),
  });
  await new Promise((r) => setTimeout(r, START_TIMEOUT_MS + 2_000)); // past ORDER_START_TIMEOUT
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const final = await poll;
  expect(final.status).toBe(200);
  expect(final.body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  await worker.stop();
  worker = undefined;
});
