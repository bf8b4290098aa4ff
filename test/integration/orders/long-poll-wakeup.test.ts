// The long poll answers from the read model's wake-up, not only from Temporal's close: an order whose
// verification stalls (its workflow runs on for a minute) gets its final view written to the read
// model the way the order-events consumer writes it; the parked GET /orders/:id/result answers with
// that view at once, while the workflow is still running.
import { buyOrderWorkflowId, ORDER_STATUS_TEXT, type OrderState } from '../../../lib/contracts/orders';
import { applyOrderEvents } from '../../../lib/orders/read-model/apply';
import type { OrderView } from '../../../lib/orders/view';
import { http } from '../../support/http';
import { type OrderStack, startOrderStack } from '../../support/order-harness';
import { authOf, newUser, putUser } from '../../support/users';
import { SAIPA } from '../../support/accounts';

let stack: OrderStack;

beforeAll(async () => {
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '60s' });
});

afterAll(async () => {
  await stack?.stop();
});

test('a final view in the read model answers the parked long poll while the workflow still runs', async () => {
  const user = newUser('stall');
  await putUser(stack.redis, user, 1_000_000);
  const placed = await http<OrderView>(`${stack.api.url}/orders`, {
    json: { user, stockid: SAIPA, quantity: 10 },
    headers: authOf(user),
  });
  expect(placed.body.phase).toBe('inProgress');
  const o = placed.body;
  const poll = http<OrderView & { waitedMs: number }>(`${stack.api.url}/orders/${o.orderId}/result?wait=30`, {
    headers: authOf(user),
  });
  await new Promise((r) => setTimeout(r, 500)); // parked by now
  const inProgress: OrderState = {
    orderId: o.orderId,
    user,
    stockId: o.stockid,
    quantity: o.quantity,
    phase: 'inProgress',
    status: ORDER_STATUS_TEXT.inProgress,
    receivedAt: o.receivedAt,
    updatedAt: o.updatedAt,
  };
  const failed: OrderState = {
    ...inProgress,
    phase: 'failed',
    status: ORDER_STATUS_TEXT.failed,
    reason: 'written by the test',
    updatedAt: new Date().toISOString(),
  };
  const written = Date.now();
  await applyOrderEvents(
    stack.redis,
    [{ eventId: `${o.orderId}:2`, orderId: o.orderId, seq: 2, before: inProgress, after: failed }],
    1_000,
  );
  const answer = await poll;
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ orderId: o.orderId, final: true, status: ORDER_STATUS_TEXT.failed });
  expect(answer.body.reason).toBe('written by the test');
  expect(Date.now() - written).toBeLessThan(10_000); // not the 30 s wait, not the 60 s verification
  const desc = await stack.api.deps.temporal.workflow.getHandle(buyOrderWorkflowId(o.orderId)).describe();
  expect(desc.status.name).toBe('RUNNING');
  process.stderr.write(`[long-poll] answered ${Date.now() - written} ms after the read model's write\n`);
});
