// Limit orders on the real stack: the API, the orders worker and the price consumer (with its limit
// wake-up) in this process, a crossing tick brought in by the real `npm run prices:import`. A limit buy
// below the market stays Open with its limit reserved; a fresh crossing tick fills it at the tick's
// price and gives back the rest; a stale crossing fills nothing; a cancel of an open order releases
// it; a limit outside the band, and every malformed limit field, is refused naming the field.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { createKafka } from '../../../lib/infra/kafka';
import { createLogger } from '../../../lib/infra/logger';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { createLimitWaker } from '../../../lib/orders/limit-wake';
import type { OrderView } from '../../../lib/orders/view';
import { startPriceConsumer, type RunningPriceConsumer } from '../../../lib/prices/ingest/consumer';
import { limitBookKey, WATCHLIST_KEY } from '../../../lib/store/keys';
import { ROOT } from '../../../scripts/stack/local-stack';
import { putHolding, putPrice } from '../../support/accounts';
import { http } from '../../support/http';
import { countOrders, startOrderStack, type OrderStack } from '../../support/order-harness';
import { newGroupAtEnd, randomStockId, waitFor } from '../../support/price-helpers';
import { startReadModel } from '../../support/read-side';
import { testConfig, testEnv } from '../../support/test-stack';
import { authOf, newUser, putUser } from '../../support/users';

const MARKET = 2_850;
const cfg = testConfig();
const kafka = createKafka(cfg);
const temporal = createTemporalClient(cfg);
const stock = randomStockId();
const dir = mkdtempSync(join(tmpdir(), 'limit-orders-'));
let stack: OrderStack;
let consumer: RunningPriceConsumer;
let readModel: Awaited<ReturnType<typeof startReadModel>>;

beforeAll(async () => {
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '30s' });
  await stack.redis.sadd(WATCHLIST_KEY, stock);
  await putPrice(stack.redis, stock, MARKET);
  const waker = createLimitWaker({
    redis: stack.redis,
    temporal,
    priceMaxAgeMs: cfg.PRICE_MAX_AGE,
    log: createLogger('test-limit', 'warn'),
  });
  consumer = await startPriceConsumer({
    kafka,
    redis: stack.redis,
    log: createLogger('test-limit', 'warn'),
    groupId: await newGroupAtEnd(kafka),
    concurrency: 6,
    maxAttempts: 3,
    fromBeginning: false,
    afterStored: (ticks) => waker.wake(ticks),
  });
  readModel = await startReadModel();
});

afterAll(async () => {
  await consumer?.stop();
  await readModel?.stop();
  await stack?.redis.srem(WATCHLIST_KEY, stock);
  await stack?.stop();
  await temporal.connection.close();
  rmSync(dir, { recursive: true, force: true });
});

type Answer = OrderView & {
  error?: string;
  field?: string;
  message?: string;
  bandLow?: number;
  bandHigh?: number;
};
const place = (user: string, body: Record<string, unknown>) =>
  http<Answer>(`${stack.api.url}/orders`, { json: { user, stockid: stock, ...body }, headers: authOf(user) });
const read = async (user: string, orderId: string) =>
  (await http<OrderView>(`${stack.api.url}/orders/${orderId}`, { headers: authOf(user) })).body;
const result = (user: string, orderId: string) =>
  http<OrderView>(`${stack.api.url}/orders/${orderId}/result?wait=30`, { headers: authOf(user) });
const money = async (user: string) => {
  const h = await stack.redis.hgetall(`{user:${user}}`);
  return { credit: Number(h.credit), reserved: Number(h.reserved) };
};

/** `npm run prices:import` of a one-row file; resolves once the consumer has stored that row. */
async function importTick(price: number, minute: Date): Promise<void> {
  const iso = new Date(Math.floor(minute.getTime() / 60_000) * 60_000).toISOString();
  const file = join(dir, `tick-${price}-${Date.now()}.csv`);
  writeFileSync(file, `stockId,minute,price\n${stock},${iso},${price}\n`);
  const r = spawnSync(
    'npm',
    ['run', '--silent', 'prices:import', '--', '--file', file, '--report', `${file}.report.tsv`, '--json'],
    {
      cwd: ROOT,
      env: { ...process.env, ...testEnv(), LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 110_000,
    },
  );
  if (r.status !== 0) throw new Error(`import exited ${r.status}: ${r.stderr}`);
  await waitFor(
    'the consumer to store the imported tick',
    async () => (await stack.redis.hexists(`{stock:${stock}}:prices`, iso)) === 1,
  );
}

const buyer = async (credit = 10_000_000) => {
  const user = newUser('ok');
  await putUser(stack.redis, user, credit);
  return user;
};

test('a limit buy below the market stays Open with its limit reserved; a fresh crossing tick fills it at that price', async () => {
  const user = await buyer();
  const placed = await place(user, { quantity: 100, type: 'limit', limitPrice: 2_800, timeInForce: 'gtc' });
  expect(placed.status).toBe(201);
  expect(placed.body.status).toBe('Open: Limit order waiting for its price.');
  expect(placed.body).toMatchObject({
    type: 'limit',
    limitPrice: 2_800,
    timeInForce: 'gtc',
    phase: 'open',
    final: false,
  });
  expect(Date.parse(placed.body.expiresAt!) - Date.parse(placed.body.receivedAt)).toBe(30 * 86_400_000);
  const orderId = placed.body.orderId;
  expect(await money(user)).toEqual({ credit: 10_000_000, reserved: 280_000 });
  expect(await stack.redis.zscore(limitBookKey(stock, 'buy'), orderId)).toBe('2800');
  expect(
    await countOrders(temporal, `OrderType = "limit" AND OrderStatus = "Open" AND OrderUser = "${user}"`),
  ).toBe(1);

  // GET /account says what the open order holds (as the read model has it).
  await waitFor('the account to show the open order', async () => {
    const acct = await http<{ openOrders: unknown[] }>(`${stack.api.url}/account`, { headers: authOf(user) });
    return acct.body.openOrders.length === 1;
  });
  const acct = await http<{ reserved: number; openOrders: unknown[] }>(`${stack.api.url}/account`, {
    headers: authOf(user),
  });
  expect(acct.body.reserved).toBe(280_000);
  expect(acct.body.openOrders).toEqual([
    {
      orderId,
      stockid: stock,
      side: 'buy',
      type: 'limit',
      phase: 'open',
      quantity: 100,
      limitPrice: 2_800,
      reservedCredit: 280_000,
    },
  ]);

  // The market stays above the limit: nothing moves.
  await putPrice(stack.redis, stock, MARKET);
  await new Promise((r) => setTimeout(r, 1_500));
  expect((await read(user, orderId)).status).toBe(ORDER_STATUS_TEXT.open);

  await importTick(2_790, new Date());
  const done = await result(user, orderId);
  expect(done.body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  expect(done.body).toMatchObject({ price: 2_790, amount: 279_000, limitPrice: 2_800 });
  // Paid at the tick's price; the rest of the limit's reservation given back.
  expect(await money(user)).toEqual({ credit: 10_000_000 - 279_000, reserved: 0 });
  expect(await stack.redis.zscore(limitBookKey(stock, 'buy'), orderId)).toBeNull();
});

test('a limit buy filled at exactly its limit pays all it reserved, nothing given back', async () => {
  const user = await buyer();
  const placed = await place(user, { quantity: 10, type: 'limit', limitPrice: 2_780 });
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.open);
  await importTick(2_780, new Date());
  const done = await result(user, placed.body.orderId);
  expect(done.body).toMatchObject({ status: ORDER_STATUS_TEXT.succeeded, price: 2_780, amount: 27_800 });
  expect(await money(user)).toEqual({ credit: 10_000_000 - 27_800, reserved: 0 });
});

test('a stale crossing fills nothing; a cancel of the open order releases its reservation', async () => {
  const user = await buyer();
  const placed = await place(user, { quantity: 10, type: 'limit', limitPrice: 2_750 });
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.open);
  expect(placed.body.timeInForce).toBe('day');
  const orderId = placed.body.orderId;
  // A minute from 10 minutes ago, crossing the limit: stored, but older than PRICE_MAX_AGE.
  await importTick(2_700, new Date(Date.now() - 10 * 60_000));
  await new Promise((r) => setTimeout(r, 1_500));
  expect((await read(user, orderId)).status).toBe(ORDER_STATUS_TEXT.open);
  expect(await money(user)).toEqual({ credit: 10_000_000, reserved: 27_500 });

  const canceled = await http<OrderView>(`${stack.api.url}/orders/${orderId}/cancel`, {
    method: 'POST',
    headers: authOf(user),
  });
  expect(canceled.status).toBe(200);
  expect(canceled.body.status).toBe(ORDER_STATUS_TEXT.canceled);
  expect(await money(user)).toEqual({ credit: 10_000_000, reserved: 0 });
  expect(await stack.redis.zscore(limitBookKey(stock, 'buy'), orderId)).toBeNull();
});

test('a limit sell above the market reserves its shares and waits; GET /orders?type=limit lists open limits', async () => {
  const user = await buyer(0);
  await putHolding(stack.redis, user, stock, 50, 2_000);
  const placed = await place(user, { side: 'sell', quantity: 20, type: 'limit', limitPrice: 2_900 });
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.open);
  expect(await stack.redis.hget(`{user:${user}}:shares-reserved`, stock)).toBe('20');
  expect(await stack.redis.zscore(limitBookKey(stock, 'sell'), placed.body.orderId)).toBe('2900');
  await place(user, { side: 'sell', quantity: 1 }); // a market sell, for the filter
  await waitFor('the read model to list both', async () => {
    const all = await http<{ orders: OrderView[] }>(`${stack.api.url}/orders`, { headers: authOf(user) });
    return all.body.orders.length === 2;
  });
  const limits = await http<{ orders: OrderView[] }>(`${stack.api.url}/orders?type=limit`, {
    headers: authOf(user),
  });
  expect(limits.body.orders.map((o) => [o.orderId, o.type, o.limitPrice, o.status])).toEqual([
    [placed.body.orderId, 'limit', 2_900, ORDER_STATUS_TEXT.open],
  ]);
  const markets = await http<{ orders: OrderView[] }>(`${stack.api.url}/orders?type=market`, {
    headers: authOf(user),
  });
  expect(markets.body.orders.map((o) => o.type)).toEqual(['market']);
  await http(`${stack.api.url}/orders/${placed.body.orderId}/cancel`, {
    method: 'POST',
    headers: authOf(user),
  });
  expect(await stack.redis.hget(`{user:${user}}:shares-reserved`, stock)).not.toBe('20');
});

test('a limit outside the price band is 422 outside_price_band naming both ends', async () => {
  const user = await buyer();
  const latest = Number(
    (JSON.parse((await stack.redis.get(`{stock:${stock}}:latest`))!) as { price: number }).price,
  );
  const high = Math.floor((latest * 105) / 100);
  const r = await place(user, { quantity: 1, type: 'limit', limitPrice: high + 1 });
  expect(r.status).toBe(422);
  expect(r.body).toMatchObject({
    error: 'outside_price_band',
    field: 'limitPrice',
    bandLow: Math.ceil((latest * 95) / 100),
    bandHigh: high,
  });
  expect((await place(user, { quantity: 1, type: 'limit', limitPrice: high })).status).toBe(201);
});

test.each([
  ['limitPrice on a market order', { limitPrice: 2_800 }, 'limitPrice'],
  ['limitPrice on an order without type', { type: 'market', limitPrice: 2_800 }, 'limitPrice'],
  ['a limit without limitPrice', { type: 'limit' }, 'limitPrice'],
  ['a fractional limitPrice', { type: 'limit', limitPrice: 2_800.5 }, 'limitPrice'],
  ['a zero limitPrice', { type: 'limit', limitPrice: 0 }, 'limitPrice'],
  ['a negative limitPrice', { type: 'limit', limitPrice: -5 }, 'limitPrice'],
  ['a limitPrice as a string', { type: 'limit', limitPrice: '2800' }, 'limitPrice'],
  ['an unknown timeInForce', { type: 'limit', limitPrice: 2_800, timeInForce: 'week' }, 'timeInForce'],
  ['timeInForce on a market order', { timeInForce: 'day' }, 'timeInForce'],
  ['an unknown type', { type: 'stop', limitPrice: 2_800 }, 'type'],
])('%s is 400 naming %s, and no order exists', async (_, extra, field) => {
  const user = await buyer();
  const r = await place(user, { quantity: 1, ...extra });
  expect(r.status).toBe(400);
  expect(r.body).toMatchObject({ error: 'invalid_request', field });
  expect(r.body.message).toContain(field);
  expect(await money(user)).toEqual({ credit: 10_000_000, reserved: 0 });
});
