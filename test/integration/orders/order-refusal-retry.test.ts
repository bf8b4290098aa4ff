// A run the workflow's own check refused (a race with the API's precheck: the user deleted or the price
// gone stale in between; no money moved) is answered by the one Update-with-Start call, its reason
// carried by the update, and is no order: the client's retry with the same Idempotency-Key makes a
// fresh attempt instead of reading the failed run (410 order_aborted) forever. The race is made exact
// by starting runs the way the API does, bypassing its precheck.
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { buyOrderWorkflowId, ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { latestPriceKey } from '../../../lib/store/keys';
import { createLogger } from '../../../lib/infra/logger';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { createOrderClient } from '../../../lib/orders/client';
import { OrderError } from '../../../lib/orders/errors';
import { orderIdForIdempotencyKey } from '../../../lib/orders/order-id';
import type { OrderView } from '../../../lib/orders/view';
import { SAIPA } from '../../support/accounts';
import { http } from '../../support/http';
import { type OrderStack, startOrderStack } from '../../support/order-harness';
import { testConfig } from '../../support/test-stack';
import { authOf, newUser, putUser } from '../../support/users';

let stack: OrderStack;

beforeAll(async () => {
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '30s' });
});

afterAll(async () => {
  await stack?.stop();
});

test('a retry of an order the workflow refused is a fresh attempt, not 410 forever', async () => {
  const cfg = testConfig({ ORDER_START_TIMEOUT: '30s' });
  const temporal = createTemporalClient(cfg);
  const orders = createOrderClient({ cfg, log: createLogger('test', 'warn'), temporal });
  const user = newUser('ok');
  const key = `refused-${user}`;
  const orderId = orderIdForIdempotencyKey(user, key);
  const req = { user, stockId: SAIPA, quantity: 3, side: 'buy' as const };

  // The first run: the user is unknown to the workflow's credit check, which refuses it.
  const first = await orders.start(orderId, req, 30_000, new Date()).catch((err: unknown) => err);
  expect(first).toBeInstanceOf(OrderError);
  expect([(first as OrderError).code, (first as OrderError).message]).toEqual([
    'unknown_user',
    'no user "' + user + '"',
  ]);
  const failed = await temporal.workflow.getHandle(buyOrderWorkflowId(orderId)).describe();
  expect(failed.status.name).toBe('FAILED');

  // The user exists now; the client retries with the same key and gets the credit check's answer.
  await putUser(stack.redis, user, 1_000_000);
  const retry = await http<OrderView>(`${stack.api.url}/orders`, {
    json: { user, stockid: SAIPA, quantity: 3 },
    headers: { ...authOf(user), 'Idempotency-Key': key },
  });
  expect(retry.status).toBe(201);
  expect(retry.body.orderId).toBe(orderId);
  expect(retry.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  await temporal.connection.close();
});

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

test('a refusal, a denial and an unknown user are each answered by one Temporal call', async () => {
  const cfg = testConfig({ ORDER_START_TIMEOUT: '30s' });
  const calls: string[] = [];
  // Every gRPC call the client makes, by method name.
  const counting = ((options: { method_definition: { path: string } }, nextCall: (o: unknown) => unknown) => {
    calls.push(options.method_definition.path.split('/').pop() ?? '');
    return nextCall(options);
  }) as unknown as GrpcInterceptor;
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS, interceptors: [counting] });
  const temporal = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
  const orders = createOrderClient({ cfg, log: createLogger('test', 'warn'), temporal });
  const attempt = async (user: string, stockId = SAIPA) => {
    calls.length = 0;
    const orderId = orderIdForIdempotencyKey(user, `count-${user}-${stockId}`);
    const outcome = await orders
      .start(orderId, { user, stockId, quantity: 3, side: 'buy' }, 30_000, new Date())
      .then((s) => s.status)
      .catch((err: unknown) => (err instanceof OrderError ? err.code : String(err)));
    return { outcome, calls: [...calls] };
  };

  // No such user: the workflow's check refuses, the update says why.
  expect(await attempt(newUser('ok'))).toEqual({ outcome: 'unknown_user', calls: ['ExecuteMultiOperation'] });
  // Too little credit: a denial is an answer, not a refusal.
  const poor = newUser('ok');
  await putUser(stack.redis, poor, 1);
  expect(await attempt(poor)).toEqual({
    outcome: ORDER_STATUS_TEXT.denied,
    calls: ['ExecuteMultiOperation'],
  });
  // A stock with no price at all: no_fresh_price, from the workflow's own price rule.
  const rich = newUser('ok');
  await putUser(stack.redis, rich, 1_000_000);
  const unpriced = '11111111111111111';
  await stack.redis.del(latestPriceKey(unpriced));
  expect(await attempt(rich, unpriced)).toEqual({
    outcome: 'no_fresh_price',
    calls: ['ExecuteMultiOperation'],
  });
  await connection.close();
});
