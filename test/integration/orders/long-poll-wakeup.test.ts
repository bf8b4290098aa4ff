// The long poll answers from the read model's wake-up, not only from Temporal's close: an order whose
// verification stalls (its workflow runs on for a minute) gets its final view written to the read
// model the way the order-events consumer writes it; the parked GET /orders/:id/result answers with
// that view at once, while the workflow is still running. And the reader's own read model is asked
// without waiting for Temporal's describe (the ownership check): an API that cannot reach Temporal
// still answers the owner from it, and still answers nobody else.
import { buyOrderWorkflowId, ORDER_STATUS_TEXT, type OrderState } from '../../../lib/contracts/orders';
import { applyOrderEvents } from '../../../lib/orders/read-model/apply';
import type { OrderView } from '../../../lib/orders/view';
import { startApi } from '../../support/app-harness';
import { http } from '../../support/http';
import { type OrderStack, startOrderStack } from '../../support/order-harness';
import { testConfig } from '../../support/test-stack';
import { authOf, newUser, putUser } from '../../support/users';
import { SAIPA } from '../../support/accounts';

let stack: OrderStack;

beforeAll(async () => {
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '60s' });
});

afterAll(async () => {
  await stack?.stop();
});

/** An order placed for a new user with 1,000,000 of credit: its verification stalls, it stays in progress. */
async function placeStalled(): Promise<{ user: string; o: OrderView }> {
  const user = newUser('stall'); // the scripted verifier stalls these
  await putUser(stack.redis, user, 1_000_000);
  const placed = await http<OrderView>(`${stack.api.url}/orders`, {
    json: { user, stockid: SAIPA, quantity: 10 },
    headers: authOf(user),
  });
  expect(placed.body.phase).toBe('inProgress');
  return { user, o: placed.body };
}

/** Writes the order's final view (failed) into the read model, as the order-events consumer would. */
async function writeFinalView(user: string, o: OrderView): Promise<void> {
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
  expect(
    await applyOrderEvents(
      stack.redis,
      [{ eventId: `${o.orderId}:2`, orderId: o.orderId, seq: 2, before: inProgress, after: failed }],
      1_000,
    ),
  ).toEqual([null]);
}

test('a final view in the read model answers the parked long poll while the workflow still runs', async () => {
  const { user, o } = await placeStalled();
  const poll = http<OrderView & { waitedMs: number }>(`${stack.api.url}/orders/${o.orderId}/result?wait=30`, {
    headers: authOf(user),
  });
  await new Promise((r) => setTimeout(r, 500)); // parked by now
  const written = Date.now();
  await writeFinalView(user, o);
  const answer = await poll;
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ orderId: o.orderId, final: true, status: ORDER_STATUS_TEXT.failed });
  expect(answer.body.reason).toBe('written by the test');
  expect(Date.now() - written).toBeLessThan(10_000); // not the 30 s wait, not the 60 s verification
  const desc = await stack.api.deps.temporal.workflow.getHandle(buyOrderWorkflowId(o.orderId)).describe();
  expect(desc.status.name).toBe('RUNNING');
  process.stderr.write(`[long-poll] answered ${Date.now() - written} ms after the read model's write\n`);
});

test("the owner's final view answers although Temporal cannot be asked; another user gets no answer", async () => {
  const { user, o } = await placeStalled();
  await writeFinalView(user, o);
  const other = newUser('ok');
  await putUser(stack.redis, other, 1_000_000);
  // An API whose Temporal address refuses connections: its describe can only fail (503 after 2 s).
  const blind = await startApi(testConfig({ TEMPORAL_ADDRESS: '127.0.0.1:1', ORDER_START_TIMEOUT: '2s' }));
  try {
    const mine = await http<OrderView>(`${blind.url}/orders/${o.orderId}/result?wait=10`, {
      headers: authOf(user),
    });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ orderId: o.orderId, final: true, status: ORDER_STATUS_TEXT.failed });
    // The view sits under its owner's key only: for anyone else ownership rests on Temporal, which
    // cannot answer, so the answer is "try again", never the view and never a 404 that guesses.
    const theirs = await http<{ error: string }>(`${blind.url}/orders/${o.orderId}/result?wait=10`, {
      headers: authOf(other),
    });
    expect(theirs.status).toBe(503);
    expect(theirs.body.error).toBe('unavailable');
  } finally {
    // The 503's describe was abandoned at its deadline, but the SDK's retry may still hold a timer for
    // it: closing the connection under that timer fails the suite ("Channel has been shut down").
    await new Promise((r) => setTimeout(r, 5_000));
    await blind.close();
  }
});
