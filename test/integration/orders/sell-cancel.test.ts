// The trader's loop on the real stack: sell what was bought, refused sells, concurrent sells of the same
// shares, cancel (during the verification, of a final order, twice, by others), the cancel racing the
// verifier's answer, and the positions GET /account values.
import { ORDER_STATUS_TEXT, SELL_STATUS_TEXT, type OrderState } from '../../../lib/contracts/orders';
import { orderKey, sharesReservedKey, userKey } from '../../../lib/store/keys';
import type { OrderView } from '../../../lib/orders/view';
import { bearer, http } from '../../support/http';
import { type OrderStack, startOrderStack } from '../../support/order-harness';
import { authOf, newUser, operatorKey, putUser } from '../../support/users';
import { putHolding, SAIPA } from '../../support/accounts';
import { startReadModel } from '../../support/read-side';

const PRICE = 2_850;
let stack: OrderStack;
let readModel: Awaited<ReturnType<typeof startReadModel>>;

beforeAll(async () => {
  // The price is put once, at the start; the file may run past the default PRICE_MAX_AGE (2 min) on a
  // loaded machine, and freshness is not what it tests (order-rules and limit-orders do).
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '30s', PRICE_MAX_AGE: '1h' }, { price: PRICE });
  readModel = await startReadModel();
});

afterAll(async () => {
  await readModel?.stop();
  await stack?.stop();
});

interface Account {
  credit: number;
  reserved: number;
  available: number;
  holdings: {
    stockid: string;
    quantity: number;
    reserved: number;
    costBasis: number;
    averageCost: number;
    latestPrice?: number;
    marketValue?: number;
    unrealizedPnl?: number;
  }[];
  totals: { costBasis: number; marketValue: number; unrealizedPnl: number };
}

const place = (user: string, body: Record<string, unknown>, path = '/orders') =>
  http<OrderView & { error?: string; field?: string }>(`${stack.api.url}${path}`, {
    json: { user, stockid: SAIPA, ...body },
    headers: authOf(user),
  });
const result = (user: string, orderId: string) =>
  http<OrderView>(`${stack.api.url}/orders/${orderId}/result?wait=30`, { headers: authOf(user) });
const cancel = (user: string, orderId: string, headers = authOf(user)) =>
  http<OrderView & { error?: string; status?: string; field?: string }>(
    `${stack.api.url}/orders/${orderId}/cancel`,
    { method: 'POST', headers },
  );
const account = async (user: string) =>
  (await http<Account>(`${stack.api.url}/account`, { headers: authOf(user) })).body;

/** A user holding `shares` of SAIPA bought at PRICE (as a settled buy leaves them). */
async function holder(prefix: 'ok' | 'stall' | 'race', shares: number, credit = 1_000_000) {
  const user = newUser(prefix);
  await putUser(stack.redis, user, credit);
  await putHolding(stack.redis, user, SAIPA, shares, PRICE);
  return user;
}

test('buy, then sell part: shares leave, credit comes in at the checked price, positions follow', async () => {
  const user = newUser('ok');
  await putUser(stack.redis, user, 1_000_000);
  const buy = await place(user, { quantity: 20 });
  expect(buy.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  expect((await result(user, buy.body.orderId)).body.status).toBe('Success: Buy order complete.');
  const bought = await account(user);
  expect(bought.credit).toBe(1_000_000 - 20 * PRICE);
  expect(bought.holdings).toEqual([
    expect.objectContaining({
      stockid: SAIPA,
      quantity: 20,
      reserved: 0,
      costBasis: 20 * PRICE,
      averageCost: PRICE,
    }),
  ]);

  const sell = await place(user, { quantity: 5 }, '/SellStock');
  expect(sell.status).toBe(201);
  expect(sell.body.side).toBe('sell');
  expect(sell.body.status).toBe('In Progress: Holdings check passed. User verification in progress...');
  expect(sell.body.amount).toBe(5 * PRICE);
  const sold = await result(user, sell.body.orderId);
  expect(sold.body.status).toBe('Success: Sell order complete.');
  const after = await account(user);
  expect(after.credit).toBe(1_000_000 - 15 * PRICE);
  expect(after.reserved).toBe(0);
  expect(after.holdings).toHaveLength(1);
  expect(after.holdings[0]).toMatchObject({
    stockid: SAIPA,
    quantity: 15,
    reserved: 0,
    costBasis: 15 * PRICE,
    averageCost: PRICE,
    latestPrice: PRICE,
    marketValue: 15 * PRICE,
    unrealizedPnl: 0,
  });
  expect(after.totals).toEqual({ costBasis: 15 * PRICE, marketValue: 15 * PRICE, unrealizedPnl: 0 });

  // The same sell through POST /orders with side, and GET /orders?side= finds each side's orders.
  const viaOrders = await place(user, { quantity: 1, side: 'sell' });
  expect(viaOrders.body.status).toBe(SELL_STATUS_TEXT.inProgress);
  await result(user, viaOrders.body.orderId);
  const listed = await waitForList(user, 'sell', 2);
  expect(listed.map((o) => o.side)).toEqual(['sell', 'sell']);
  const buys = await waitForList(user, 'buy', 1);
  expect(buys.map((o) => o.orderId)).toEqual([buy.body.orderId]);
});

async function waitForList(user: string, side: string, n: number): Promise<OrderView[]> {
  for (let i = 0; i < 100; i++) {
    const page = await http<{ orders: OrderView[] }>(`${stack.api.url}/orders?side=${side}`, {
      headers: authOf(user),
    });
    if (page.body.orders.length >= n) return page.body.orders;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the read model never listed ${n} ${side} orders of ${user}`);
}

test('a sell of more than the free shares is denied; of a stock never held, 422 naming stockid', async () => {
  const user = await holder('ok', 3);
  const denied = await place(user, { quantity: 4, side: 'sell' });
  expect(denied.status).toBe(201);
  expect(denied.body.status).toBe('Deny: Not enough shares');
  expect((await account(user)).holdings[0]).toMatchObject({ quantity: 3, reserved: 0 });

  const never = newUser('ok');
  await putUser(stack.redis, never, 1_000_000);
  const refused = await place(never, { quantity: 1, side: 'sell' });
  expect([refused.status, refused.body.error, refused.body.field]).toEqual([422, 'no_holding', 'stockid']);
  // Nothing half-made: no order money state, no reservation.
  expect(await stack.redis.keys(`${userKey(never)}:order:*`)).toEqual([]);

  const badSide = await place(never, { quantity: 1, side: 'short' });
  expect([badSide.status, badSide.body.field]).toEqual([400, 'side']);
  // The fixed-side endpoints take the original body only.
  const sideOnBuyStock = await place(never, { quantity: 1, side: 'sell' }, '/BuyStock');
  expect([sideOnBuyStock.status, sideOnBuyStock.body.field]).toEqual([400, 'side']);
});

test('50 concurrent sells of 10 free shares, 1 each: exactly 10 pass, 40 are denied', async () => {
  const user = await holder('stall', 10);
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => place(user, { quantity: 1, side: 'sell' })),
  );
  // A check slower than ORDER_QUEUE_AFTER on a loaded host answers 202 (queued): its check follows.
  const statuses = await Promise.all(
    answers.map(async (a) => (a.status === 202 ? checkedStatus(user, a.body.orderId) : a.body.status)),
  );
  expect(statuses.filter((s) => s === SELL_STATUS_TEXT.inProgress)).toHaveLength(10);
  expect(statuses.filter((s) => s === SELL_STATUS_TEXT.denied)).toHaveLength(40);
  expect((await account(user)).holdings[0]).toMatchObject({ quantity: 10, reserved: 10 });
  // Withdrawn, each gives its share back.
  const open = answers.filter((_, i) => statuses[i] === SELL_STATUS_TEXT.inProgress);
  await Promise.all(open.map((a) => cancel(user, a.body.orderId)));
  expect((await account(user)).holdings[0]).toMatchObject({ quantity: 10, reserved: 0 });
});

test('cancel during the verification: the call is aborted, the reservation released, Canceled; twice the same', async () => {
  const user = newUser('stall');
  await putUser(stack.redis, user, 1_000_000);
  const placed = await place(user, { quantity: 10 });
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  expect((await account(user)).reserved).toBe(10 * PRICE);
  const first = await cancel(user, placed.body.orderId);
  expect(first.status).toBe(200);
  expect(first.body.status).toBe('Canceled: Order canceled by the user.');
  expect(first.body.phase).toBe('canceled');
  expect(first.body.final).toBe(true);
  const money = await account(user);
  expect([money.credit, money.reserved]).toEqual([1_000_000, 0]);
  // The verifier's call was aborted (within a heartbeat), not left to run out.
  await eventuallyTrue(() => stack.verifier.aborted.has(placed.body.orderId));
  const second = await cancel(user, placed.body.orderId);
  expect([second.status, second.body.status]).toEqual([200, ORDER_STATUS_TEXT.canceled]);
  expect((await result(user, placed.body.orderId)).body.status).toBe(ORDER_STATUS_TEXT.canceled);
  expect(await stack.redis.hget(orderKey(user, placed.body.orderId), 'state')).toBe('released');
});

test("cancel of a final order is 409 order_final naming its status; of another user's or no order, 404", async () => {
  const user = newUser('ok');
  await putUser(stack.redis, user, 1_000_000);
  const placed = await place(user, { quantity: 1 });
  await result(user, placed.body.orderId);
  const late = await cancel(user, placed.body.orderId);
  expect([late.status, late.body.error, late.body.status]).toEqual([
    409,
    'order_final',
    ORDER_STATUS_TEXT.succeeded,
  ]);

  const other = newUser('ok');
  await putUser(stack.redis, other, 1);
  expect((await cancel(other, placed.body.orderId)).status).toBe(404);
  expect((await cancel(user, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  // An operator may cancel anyone's order (this one is final: 409 all the same).
  const op = await cancel(user, placed.body.orderId, bearer(await operatorKey(stack.redis)));
  expect([op.status, op.body.error]).toEqual([409, 'order_final']);
});

test('cancel racing the verifier 200 times: one outcome each, money and shares exact', async () => {
  const users = await Promise.all(Array.from({ length: 10 }, () => holder('race', 1_000, 100_000_000)));
  const outcomes: {
    user: string;
    orderId: string;
    side: string;
    cancel: number;
    final: OrderState['phase'];
  }[] = [];
  for (let round = 0; round < 20; round++) {
    await Promise.all(
      users.map(async (user, i) => {
        const side = (round + i) % 2 === 0 ? 'buy' : 'sell';
        const placed = await place(user, { quantity: 1 + (i % 3), side });
        expect(placed.body.status).toBe(
          side === 'buy' ? ORDER_STATUS_TEXT.inProgress : SELL_STATUS_TEXT.inProgress,
        );
        await new Promise((r) => setTimeout(r, (round * 7 + i * 13) % 80));
        const answer = await cancel(user, placed.body.orderId);
        const final = (await result(user, placed.body.orderId)).body;
        expect(final.final).toBe(true);
        // The cancel's answer is the order's one outcome: Canceled (200), or the success it came too late for (409).
        if (answer.status === 200) expect(final.phase).toBe('canceled');
        else
          expect([answer.status, answer.body.error, final.phase]).toEqual([409, 'order_final', 'succeeded']);
        outcomes.push({
          user,
          orderId: placed.body.orderId,
          side,
          cancel: answer.status,
          final: final.phase,
        });
      }),
    );
  }
  expect(outcomes).toHaveLength(200);
  for (const user of users) {
    const mine = outcomes.filter((o) => o.user === user && o.final === 'succeeded');
    let credit = 100_000_000;
    let held = 1_000;
    for (const o of mine) {
      const state = await stack.redis.hgetall(orderKey(user, o.orderId));
      expect(state.state).toBe('settled');
      const q = Number(state.quantity);
      if (o.side === 'buy') [credit, held] = [credit - Number(state.amount), held + q];
      else [credit, held] = [credit + Number(state.amount), held - q];
    }
    for (const o of outcomes.filter((x) => x.user === user && x.final === 'canceled')) {
      expect(await stack.redis.hget(orderKey(user, o.orderId), 'state')).toBe('released');
    }
    const acc = await account(user);
    expect([acc.credit, acc.reserved]).toEqual([credit, 0]);
    expect(acc.holdings[0]).toMatchObject({ quantity: held, reserved: 0 });
    expect(await stack.redis.hget(sharesReservedKey(user), SAIPA)).toBe('0');
  }
  const canceled = outcomes.filter((o) => o.final === 'canceled').length;
  process.stderr.write(`[orders] cancel race: ${canceled} canceled, ${200 - canceled} settled first\n`);
}, 300_000);

/** A queued order's status once its check has run (the verifier here stalls, so it stays there). */
async function checkedStatus(user: string, orderId: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const now = await http<OrderView>(`${stack.api.url}/orders/${orderId}`, { headers: authOf(user) });
    if (now.body.phase !== 'queued') return now.body.status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${orderId} still queued after 60 s`);
}

async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(check()).toBe(true);
}
