// The trading page in a real browser (Debian's chromium, headless, driven by playwright-core) against the
// real API, orders worker, price consumer and order-events consumer (the read model): a key is entered,
// the account and the stocks show, an order placed through the form shows the credit check's answer at
// once and its final status the moment the stream brings it (no reload, no long poll), a new price
// reaches the chart through `event: price`, and the orders list filters by status. Then the trader's
// loop: a buy, a sell of part of the holding from its Sell control, an order whose verification stalls
// canceled from its row; the positions valued as GET /account values them, every time in Tehran time
// (the browser itself runs in UTC), and no request of the page's answered 404 (no /favicon.ico).
import { chromium, type Browser, type Page } from 'playwright-core';
import { join } from 'node:path';
import { flatTick } from '../../../lib/contracts/price-tick';
import { ORDER_STATUS_TEXT, SELL_STATUS_TEXT } from '../../../lib/contracts/orders';
import type { Account } from '../../../lib/store/account';
import type { OrderView } from '../../../lib/orders/view';
import { createKafka } from '../../../lib/infra/kafka';
import { createLogger } from '../../../lib/infra/logger';
import { startPriceConsumer, type RunningPriceConsumer } from '../../../lib/prices/ingest/consumer';
import { createPricePublisher } from '../../../lib/prices/publisher';
import { stockInfoKey } from '../../../lib/store/keys';
import { ensureChromium } from '../../../scripts/stack/chromium';
import { ROOT } from '../../../scripts/stack/local-stack';
import { buildWebIfStale } from '../../../scripts/web/build';
import { startApi, type Api } from '../../support/app-harness';
import { newGroupAtEnd, waitFor } from '../../support/price-helpers';
import { startReadModel } from '../../support/read-side';
import { testConfig } from '../../support/test-stack';
import {
  bearer,
  http,
  httpVerifier,
  newUser,
  putUser,
  SAIPA,
  startOrderWorker,
  startScriptedVerifier,
  type OrderWorker,
  type ScriptedVerifier,
} from '../../support/order-harness';

export const SCREENSHOT = join(ROOT, 'docs', 'trading-page.png');
const MINUTE = 60_000;
const CREDIT = 10_000_000;
const SAIPA_NAME = 'سایپا';
// Prices no other test writes, so the chart shows ours.
const FIRST_PRICE = 2_801 + Math.floor(Math.random() * 20);
const NEW_PRICE = FIRST_PRICE + 37;

let verifier: ScriptedVerifier;
let worker: OrderWorker;
let api: Api;
let prices: RunningPriceConsumer;
let readModel: { stop(): Promise<void> };
let browser: Browser;
let page: Page;
const errors: string[] = [];
/** Every URL the page asked for, in order. */
const requests: string[] = [];
/** Every URL the page asked for that answered 404. */
const notFound: string[] = [];
/** The API's count of 404 answers by route, before the browser asked it anything. */
let served404Before: string[];
// slow-*: the scripted verifier answers after 1.5 s, so "In Progress" is on screen long enough to see.
const user = newUser('slow');
let key: string;

const publishTick = (price: number, at: Date) =>
  createPricePublisher(worker.sender).publish([flatTick(SAIPA, price, at)]);
const minuteAgo = (n: number) => new Date(Math.floor(Date.now() / MINUTE) * MINUTE - n * MINUTE);
const rials = (n: number) => n.toLocaleString('en-US');
/** The exchange's wall clock, as the page must show every time whatever the browser's own zone. */
const tehran = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Tehran',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

beforeAll(async () => {
  const executablePath = ensureChromium((m) => process.stderr.write(`${m}\n`));
  await buildWebIfStale();
  verifier = await startScriptedVerifier();
  worker = await startOrderWorker(httpVerifier(verifier.url));
  // The first tick is a minute old when written and the test takes a while on a busy machine: with the
  // default 2 min, the later orders met a stale price depending on where in its minute the run began.
  // The freshness rule has its own tests (order-rules).
  api = await startApi(testConfig({ PRICE_MAX_AGE: '10m' }));
  readModel = await startReadModel(api.deps.cfg);
  const kafka = createKafka(api.deps.cfg);
  prices = await startPriceConsumer({
    kafka,
    redis: api.deps.redis,
    log: createLogger('page-test-prices', 'error'),
    groupId: await newGroupAtEnd(kafka),
    concurrency: 2,
    maxAttempts: 3,
    fromBeginning: false,
  });
  await api.deps.redis.hset(stockInfoKey(SAIPA), { name: SAIPA_NAME });
  // Ticks go the production way, Kafka stock-prices → the consumer → Redis. The first is the chart's
  // first point and the order's price.
  await publishTick(FIRST_PRICE, minuteAgo(1));
  await waitFor(
    'the first tick in the price history',
    async () => {
      const res = await fetch(`${api.url}/stocks/${SAIPA}/prices?from=${minuteAgo(5).toISOString()}`);
      const body = (await res.json()) as { prices?: { price: number }[] };
      return body.prices?.some((t) => t.price === FIRST_PRICE);
    },
    30_000,
  );
  key = await putUser(api.deps.redis, user, CREDIT);
  served404Before = await served404();
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  // UTC, not Tehran: a time shown in the browser's own zone would differ from Tehran's by 3 h 30.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => {
    if (r.status() === 404) notFound.push(r.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await prices?.stop();
  await readModel?.stop();
  await api?.close();
  await worker?.stop();
  await verifier?.close();
});

/** The chart's newest point has this price (the page writes it into data-last-price as it draws). */
const chartShows = (price: number) =>
  page.locator(`#chart[data-last-price="${price}"]`).waitFor({ state: 'attached', timeout: 20_000 });
const shows = (selector: string, text: string) =>
  page
    .locator(selector)
    .filter({ hasText: new RegExp(`^${text}$`) })
    .waitFor({ timeout: 15_000 });
const asked = (part: string) => requests.filter((u) => u.includes(part));
/** The API's own count of its 404 answers, by route: it sees the browser's own requests too (a favicon). */
const served404 = async () =>
  (await (await fetch(`${api.url}/metrics`)).text())
    .split('\n')
    .filter((l) => /^bourse_http_requests_total\{.*status="404"/.test(l));

/** The page's globals, as functions run by page.evaluate see them (this program has no DOM types). */
type PageGlobals = {
  sessionStorage: { getItem(key: string): string | null };
  getComputedStyle(e: unknown): { direction: string };
  untouched?: boolean;
};

test('the page on the live read side: account, stocks, an order decided over the stream, a price, a filter', async () => {
  await page.goto(`${api.url}/`);
  await page.locator('#api-key').fill(key);
  await page.locator('#key-form button').click();
  await page.locator('#signed-in', { hasText: 'key set' }).waitFor();
  expect(
    await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('bourse.apiKey')),
  ).toBe(key);
  await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 15_000 });
  // A reload would lose this mark: its survival proves everything below came in place.
  await page.evaluate(() => ((globalThis as unknown as PageGlobals).untouched = true));

  // GET /account: the user, credit, reserved and available.
  await shows('#account-user', user);
  await shows('#credit', rials(CREDIT));
  await shows('#reserved', '0');
  await shows('#available', rials(CREDIT));

  // GET /stocks: the Persian name in a cell that lays it out right to left.
  const name = page.locator(`#stock-rows tr[data-stock="${SAIPA}"] td.name`);
  await name.filter({ hasText: SAIPA_NAME }).waitFor({ timeout: 15_000 });
  expect(['rtl', 'auto']).toContain(await name.getAttribute('dir'));
  expect(
    await name.evaluate((e) => (globalThis as unknown as PageGlobals).getComputedStyle(e).direction),
  ).toBe('rtl');
  // The row clicked stays the same element while the list refreshes and ticks come in: a list rebuilt
  // under the pointer lost the click whose press and release met two different rows.
  const saipaRow = page.locator(`#stock-rows tr[data-stock="${SAIPA}"]`);
  await saipaRow.evaluate((e) => ((e as unknown as { clicked?: boolean }).clicked = true));
  await saipaRow.click();
  await chartShows(FIRST_PRICE);
  expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
  expect(await page.locator('#order-stock').inputValue()).toBe(SAIPA);

  // An order through the form: the credit check's answer at once, the final status from the stream.
  await page.locator('#order-qty').fill('10');
  await page.locator('#order-form button').click();
  const answer = page.locator('#order-answer');
  await answer.filter({ hasText: ORDER_STATUS_TEXT.inProgress }).waitFor({ timeout: 10_000 });
  expect(await answer.textContent()).toBe(
    'In Progress: Credit check passed. User verification in progress...',
  );
  await answer.filter({ hasText: ORDER_STATUS_TEXT.succeeded }).waitFor({ timeout: 30_000 });
  const orderId = await answer.getAttribute('data-order');
  expect(orderId).toMatch(/^[0-9a-f-]{36}$/);
  const row = page.locator(`#order-rows tr[data-order="${orderId}"]`);
  await row.locator('.status', { hasText: ORDER_STATUS_TEXT.succeeded }).waitFor();
  expect(await row.getAttribute('data-phase')).toBe('succeeded');

  // The order events refreshed the account: settled credit, nothing reserved, the shares held.
  const cost = 10 * FIRST_PRICE;
  await shows('#credit', rials(CREDIT - cost));
  await shows('#reserved', '0');
  await shows('#available', rials(CREDIT - cost));
  await shows(`#holdings tr[data-stock="${SAIPA}"] td.shares`, '10');
  await shows(`#holdings tr[data-stock="${SAIPA}"] td.name`, SAIPA_NAME);

  // A denied order (more than the credit buys) for the filter to tell apart.
  await page.locator('#order-qty').fill('100000');
  await page.locator('#order-form button').click();
  await answer.filter({ hasText: ORDER_STATUS_TEXT.denied }).waitFor({ timeout: 10_000 });
  const deniedId = await answer.getAttribute('data-order');
  expect(deniedId).not.toBe(orderId);

  // A new minute's tick reaches the chart through `event: price` (no price poll while the stream is open).
  const before = Number(await page.locator('#chart').getAttribute('data-points'));
  await publishTick(NEW_PRICE, minuteAgo(0));
  await chartShows(NEW_PRICE);
  expect(Number(await page.locator('#chart').getAttribute('data-points'))).toBeGreaterThan(before);
  await page.locator(`#stock-rows tr[data-stock="${SAIPA}"] td.num`, { hasText: rials(NEW_PRICE) }).waitFor();
  expect(await saipaRow.evaluate((e) => (e as unknown as { clicked?: boolean }).clicked)).toBe(true);

  // GET /orders?status=: the list filtered by the server.
  const denied = page.locator(`#order-rows tr[data-order="${deniedId}"]`);
  await page.locator('#status-filter').selectOption('succeeded');
  await row.waitFor();
  await denied.waitFor({ state: 'detached' });
  await page.locator('#status-filter').selectOption('denied');
  await denied.waitFor();
  await row.waitFor({ state: 'detached' });
  expect(asked('/orders?')).toEqual(
    expect.arrayContaining([
      expect.stringContaining('status=succeeded'),
      expect.stringContaining('status=denied'),
    ]),
  );
  await page.locator('#status-filter').selectOption('');
  await row.waitFor();
  await denied.waitFor();

  // All of it on one open stream: no long poll, no price poll, no reload.
  expect(await page.locator('#live-state').getAttribute('data-state')).toBe('open');
  expect(asked('/events')).toHaveLength(1);
  expect(asked('/result?wait=')).toEqual([]);
  expect(requests.filter((u) => u.endsWith(`/stocks/${SAIPA}/price`))).toEqual([]);
  expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).untouched)).toBe(true);
  expect(errors).toEqual([]);
});

/** The answer line once it follows an order other than `before` and shows `status`: that order's id. */
async function answerFor(before: string | null, status: string): Promise<string> {
  const line = page.locator(`#order-answer:not([data-order="${before}"])`, { hasText: status });
  await line.waitFor({ timeout: 30_000 });
  return (await line.getAttribute('data-order'))!;
}

const orderRow = (orderId: string) => page.locator(`#order-rows tr[data-order="${orderId}"]`);
const holding = () => page.locator(`#holdings tr[data-stock="${SAIPA}"]`);

test('buy, sell part of the holding from its Sell, cancel a stalled order from its row; positions valued', async () => {
  const answer = page.locator('#order-answer');
  await page.locator('#order-stock').fill(SAIPA);

  // A buy through the form, decided over the stream: 10 held before, 30 now.
  await page.locator('#order-qty').fill('20');
  await page.locator('#order-form button').click();
  const buyId = await answerFor(await answer.getAttribute('data-order'), ORDER_STATUS_TEXT.succeeded);
  await shows(`#holdings tr[data-stock="${SAIPA}"] td.shares`, '30');

  // A sell of 12 from the holding's Sell control: POST /orders with side sell, its holdings check
  // answered at once, its result the moment the stream brings it.
  await holding().locator('form.sell input').fill('12');
  const [post] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/orders'),
    holding().locator('form.sell button').click(),
  ]);
  expect(post.postDataJSON()).toEqual({ user, stockid: SAIPA, quantity: 12, side: 'sell' });
  const sellId = await answerFor(buyId, SELL_STATUS_TEXT.inProgress!);
  await answer.filter({ hasText: SELL_STATUS_TEXT.succeeded! }).waitFor({ timeout: 30_000 });
  expect(await answer.getAttribute('data-order')).toBe(sellId);
  await orderRow(sellId).locator('.status', { hasText: SELL_STATUS_TEXT.succeeded! }).waitFor();
  expect(await orderRow(sellId).getAttribute('data-side')).toBe('sell');
  await shows(`#order-rows tr[data-order="${sellId}"] td.side`, 'sell');
  const sold = await http<OrderView>(`${api.url}/orders/${sellId}`, { headers: bearer(key) });
  expect([sold.body.side, sold.body.quantity, sold.body.phase]).toEqual(['sell', 12, 'succeeded']);

  // The positions as GET /account values them: 18 shares at the latest price, and the totals.
  await shows(`#holdings tr[data-stock="${SAIPA}"] td.shares`, '18');
  const acct = (await http<Account>(`${api.url}/account`, { headers: bearer(key) })).body;
  const pos = acct.holdings.find((h) => h.stockid === SAIPA)!;
  expect([pos.quantity, pos.latestPrice, pos.marketValue]).toEqual([18, NEW_PRICE, 18 * NEW_PRICE]);
  const cell = (name: string) => `#holdings tr[data-stock="${SAIPA}"] td.${name}`;
  await shows(cell('avg-cost'), rials(pos.averageCost));
  await shows(cell('cost'), rials(pos.costBasis));
  await shows(cell('price'), rials(NEW_PRICE));
  await shows(cell('minute'), tehran(pos.priceMinute!));
  await shows(cell('value'), rials(18 * NEW_PRICE));
  await shows(cell('pnl'), rials(18 * NEW_PRICE - pos.costBasis));
  await shows('#total-cost', rials(acct.totals.costBasis));
  await shows('#total-value', rials(acct.totals.marketValue));
  await shows('#total-pnl', rials(acct.totals.unrealizedPnl));

  // An order whose verification stalls: undecided, it has a Cancel; canceled, its row says so and the
  // verifier's call is aborted (the cancel reached the order's workflow). A decided order has none.
  verifier.stalled.add(user);
  await page.locator('#order-qty').fill('5');
  await page.locator('#order-form button').click();
  const stalledId = await answerFor(sellId, ORDER_STATUS_TEXT.inProgress);
  await shows('#reserved', rials(5 * NEW_PRICE));
  expect(await orderRow(buyId).locator('button.cancel').isVisible()).toBe(false);
  await orderRow(stalledId).locator('button.cancel').click();
  await orderRow(stalledId).locator('.status', { hasText: ORDER_STATUS_TEXT.canceled }).waitFor();
  expect(await orderRow(stalledId).getAttribute('data-phase')).toBe('canceled');
  expect(await orderRow(stalledId).locator('button.cancel').isVisible()).toBe(false);
  expect(await answer.textContent()).toBe('Canceled: Order canceled by the user.');
  await shows('#reserved', '0');
  await waitFor('the stalled verification aborted', async () => verifier.aborted.has(stalledId), 20_000);

  // Every time in Tehran time, and said so: the orders' and the stocks' columns, the chart's last price.
  const buy = (await http<OrderView>(`${api.url}/orders/${buyId}`, { headers: bearer(key) })).body;
  await shows(`#order-rows tr[data-order="${buyId}"] td:first-child`, tehran(buy.receivedAt));
  expect(await page.locator('#orders-panel thead').textContent()).toContain('Received (Tehran)');
  expect(await page.locator('#positions-panel thead').textContent()).toContain('Minute (Tehran)');
  await shows(`#stock-rows tr[data-stock="${SAIPA}"] td:nth-child(4)`, tehran(pos.priceMinute!));
  expect(await page.locator('#chart-last').textContent()).toContain(`at ${tehran(pos.priceMinute!)} Tehran`);

  // Results came over the one stream; no request answered 404, the favicon's included.
  expect(asked('/events')).toHaveLength(1);
  expect(asked('/result?wait=')).toEqual([]);
  expect(await served404()).toEqual(served404Before);
  expect(notFound).toEqual([]);
  expect(asked('/favicon.ico')).toEqual([]);
  expect(errors).toEqual([]);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});
