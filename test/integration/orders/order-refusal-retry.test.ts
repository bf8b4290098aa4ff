// A run the workflow's own credit check refused (a race with the API's precheck: the user deleted or
// the price gone stale in between; no money moved) is no order: the client's retry with the same
// Idempotency-Key makes a fresh attempt instead of reading the failed run (410 order_aborted) forever.
// The race is made exact by starting the first run the way the API does, for a user who does not
// exist yet, then creating the user and retrying through the API.
import { buyOrderWorkflowId, ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
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
  const req = { user, stockId: SAIPA, quantity: 3 };

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
