// With the worker or Temporal itself down, POST /orders answers 503 within seconds instead of hanging,
// and a retry with the same Idempotency-Key finds the order once things are back.
import { startService, stopService } from '../../../scripts/stack/local-stack';
import type { OrderView } from '../../../lib/orders/view';
import { orderIdForIdempotencyKey } from '../../../lib/orders/order-id';
import { buyOrderWorkflowId, ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createRedis } from '../../../lib/infra/redis';
import { startApi, type Api } from '../../support/app-harness';
import { putPrice, SAIPA, userMoney } from '../../support/accounts';
import { http } from '../../support/http';
import { httpVerifier, type OrderWorker, startOrderWorker } from '../../support/order-harness';
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
  api = await startApi(testConfig({ ORDER_START_TIMEOUT: `${START_TIMEOUT_MS}ms` }));
  await putPrice(redis, SAIPA, 2_850);
});

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

test('past ORDER_MAX_IN_FLIGHT an order waits its turn; what cannot start in time is refused unstarted', async () => {
  const small = await startApi(
    testConfig({
      ORDER_START_TIMEOUT: `${START_TIMEOUT_MS}ms`,
      ORDER_MAX_IN_FLIGHT: '1',
      ORDER_QUEUE_MAX: '1',
    }),
  );
  const temporal = createTemporalClient(testConfig());
  try {
    const user = newUser('ok');
    await putUser(redis, user, 1_000_000);
    const order = { user, stockid: SAIPA, quantity: 10 };
    const postTo = (key: string) =>
      http<OrderView & { error?: string }>(`${small.url}/orders`, {
        json: order,
        headers: { 'Idempotency-Key': key, ...authOf(user) },
      });
    const neverStarted = async (key: string) => {
      const id = buyOrderWorkflowId(orderIdForIdempotencyKey(user, key));
      await expect(temporal.workflow.getHandle(id).describe()).rejects.toThrow(WorkflowNotFoundError);
    };
    // No worker: the first order holds the one slot until ORDER_START_TIMEOUT.
    const held = postTo('held');
    await new Promise((r) => setTimeout(r, 500));
    // The second waits in the queue; the slot frees too late to leave it the time a start needs.
    const queued = postTo('queued');
    await new Promise((r) => setTimeout(r, 200));
    // The third finds the queue full: refused at once.
    const full = await postTo('full');
    for (const refused of [full, await queued]) {
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('overloaded');
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('x-order-id')).toBeNull();
      expect(refused.ms).toBeLessThan(START_TIMEOUT_MS);
    }
    expect(full.ms).toBeLessThan(1_000);
    expect((await held).body.error).toBe('unavailable');
    await neverStarted('queued');
    await neverStarted('full');
    // The slot is free again: the next order goes through to Temporal (and waits for a worker).
    expect((await postTo('after')).body.error).toBe('unavailable');
  } finally {
    await temporal.connection.close();
    await small.close();
  }
});

test('worker down: 503 within seconds, and the same key then finds the order', async () => {
  const user = newUser('ok');
  await putUser(redis, user, 1_000_000);
  const order = { user, stockid: SAIPA, quantity: 10 };
  const res = await post(order, 'while-no-worker');
  expect(res.status).toBe(503);
  expect(res.body.error).toBe('unavailable');
  expect(res.headers.get('retry-after')).toBe('5');
  expect(res.ms).toBeLessThan(START_TIMEOUT_MS + 10_000); // answers, never hangs
  const orderId = res.headers.get('x-order-id');
  expect(orderId).toBe(orderIdForIdempotencyKey(user, 'while-no-worker'));
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 0 });
  process.stderr.write(`[orders] worker down: 503 after ${Math.round(res.ms)} ms\n`);

  worker = await startOrderWorker(httpVerifier(verifier.url));
  const retry = await postUntilAccepted(order, 'while-no-worker');
  expect(retry.status).toBe(201);
  expect(retry.body.orderId).toBe(orderId);
  expect(retry.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  const final = await http<OrderView>(`${api.url}/orders/${orderId}/result?wait=30`, {
    headers: authOf(user),
  });
  expect(final.body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 }); // charged once
  await worker.stop();
  worker = undefined;
});

test('Temporal down: 503 within seconds, and after its restart the same key finds the order', async () => {
  const spec = testStackSpec();
  const user = newUser('ok');
  await putUser(redis, user, 1_000_000);
  const order = { user, stockid: SAIPA, quantity: 10 };
  await stopService(spec, 'temporal', testLog);
  try {
    const res = await post(order, 'while-temporal-down');
    expect(res.status).toBe(503);
    expect(res.ms).toBeLessThan(START_TIMEOUT_MS + 10_000);
    expect(res.headers.get('x-order-id')).toBe(orderIdForIdempotencyKey(user, 'while-temporal-down'));
    expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 0 });
    process.stderr.write(`[orders] Temporal down: 503 after ${Math.round(res.ms)} ms\n`);
  } finally {
    await startService(spec, 'temporal', testLog);
  }
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const retry = await postUntilAccepted(order, 'while-temporal-down');
  expect(retry.status).toBe(201);
  expect(retry.body.orderId).toBe(orderIdForIdempotencyKey(user, 'while-temporal-down'));
  const again = await post(order, 'while-temporal-down');
  expect(again.body.orderId).toBe(retry.body.orderId);
  const final = await http<OrderView>(`${api.url}/orders/${retry.body.orderId}/result?wait=30`, {
    headers: authOf(user),
  });
  expect(final.body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  expect(await userMoney(redis, user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 });
});

test('worker down: a long poll on an order in progress parks (no 503) and answers once a worker returns', async () => {
  // Regression: the ownership check once read the order through its status query, which needs a
  // worker, so a long poll with the worker down answered 503 after ORDER_START_TIMEOUT.
  await worker?.stop(); // the previous test's
  const user = newUser('slow');
  await putUser(redis, user, 1_000_000);
  worker = await startOrderWorker(httpVerifier(verifier.url));
  const placed = await post({ user, stockid: SAIPA, quantity: 10 }, 'long-poll-no-worker');
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
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
