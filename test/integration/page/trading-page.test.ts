// The trading page in a real browser (Debian's chromium, headless, driven by playwright-core) against the
// real API and a real orders worker: a key is entered, an order placed through the form shows the
// credit check's answer at once and its final status without a reload, and a new price reaches the chart.
import { chromium, type Browser, type Page } from 'playwright-core';
import { join } from 'node:path';
import { flatTick } from '../../../lib/contracts/price-tick';
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { createKafka } from '../../../lib/infra/kafka';
import { createLogger } from '../../../lib/infra/logger';
import { startPriceConsumer, type RunningPriceConsumer } from '../../../lib/prices/ingest/consumer';
import { createPricePublisher } from '../../../lib/prices/publisher';
import { ensureChromium } from '../../../scripts/stack/chromium';
import { ROOT } from '../../../scripts/stack/local-stack';
import { buildWebIfStale } from '../../../scripts/web/build';
import { startApi, type Api } from '../../support/app-harness';
import { newGroupAtEnd, waitFor } from '../../support/price-helpers';
import {
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
// Prices no other test writes, so the chart shows ours.
const FIRST_PRICE = 2_801 + Math.floor(Math.random() * 20);
const NEW_PRICE = FIRST_PRICE + 37;

let verifier: ScriptedVerifier;
let worker: OrderWorker;
let api: Api;
let prices: RunningPriceConsumer;
let browser: Browser;
let page: Page;
const errors: string[] = [];
// slow-*: the scripted verifier answers after 1.5 s, so "In Progress" is on screen long enough to see.
const user = newUser('slow');
let key: string;

const publishTick = (price: number, at: Date) =>
  createPricePublisher(worker.sender).publish([flatTick(SAIPA, price, at)]);
const minuteAgo = (n: number) => new Date(Math.floor(Date.now() / MINUTE) * MINUTE - n * MINUTE);

beforeAll(async () => {
  const executablePath = ensureChromium((m) => process.stderr.write(`${m}\n`));
  await buildWebIfStale();
  verifier = await startScriptedVerifier();
  worker = await startOrderWorker(httpVerifier(verifier.url));
  api = await startApi();
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
  key = await putUser(api.deps.redis, user, 10_000_000);
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
});

afterAll(async () => {
  await browser?.close();
  await prices?.stop();
  await api?.close();
  await worker?.stop();
  await verifier?.close();
});

/** The chart's newest point has this price (the page writes it into data-last-price as it draws). */
const chartShows = (price: number) =>
  page.locator(`#chart[data-last-price="${price}"]`).waitFor({ state: 'attached', timeout: 20_000 });

/** The page's globals, as functions run by page.evaluate see them (this program has no DOM types). */
type PageGlobals = {
  sessionStorage: { getItem(key: string): string | null };
  untouched?: boolean;
};

test('enter a key, chart a stock, buy it, and see the result and a new price arrive without reloading', async () => {
  await page.goto(`${api.url}/`);
  await page.locator('#api-key').fill(key);
  await page.locator('#user-id').fill(user);
  await page.locator('#key-form button').click();
  await page.locator('#signed-in', { hasText: 'key set' }).waitFor();
  expect(
    await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('bourse.apiKey')),
  ).toBe(key);
  // A reload would lose this mark: its survival proves the result came in place.
  await page.evaluate(() => ((globalThis as unknown as PageGlobals).untouched = true));

  await page.locator('#stock-id').fill(SAIPA);
  await page.locator('#stock-pick button').click();
  await chartShows(FIRST_PRICE);
  expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);

  await page.locator('#order-stock').fill(SAIPA);
  await page.locator('#order-qty').fill('10');
  await page.locator('#order-form button').click();
  const answer = page.locator('#order-answer');
  await answer.filter({ hasText: ORDER_STATUS_TEXT.inProgress }).waitFor({ timeout: 10_000 });
  await answer.filter({ hasText: ORDER_STATUS_TEXT.succeeded }).waitFor({ timeout: 30_000 });
  const orderId = await answer.getAttribute('data-order');
  expect(orderId).toMatch(/^[0-9a-f-]{36}$/);
  const row = page.locator(`#order-rows tr[data-order="${orderId}"]`);
  expect(await row.getAttribute('data-phase')).toBe('succeeded');
  expect(await row.locator('.status').textContent()).toBe(ORDER_STATUS_TEXT.succeeded);

  // A new minute's tick: the chart draws it while the page stays open.
  const before = Number(await page.locator('#chart').getAttribute('data-points'));
  await publishTick(NEW_PRICE, minuteAgo(0));
  await chartShows(NEW_PRICE);
  expect(Number(await page.locator('#chart').getAttribute('data-points'))).toBeGreaterThan(before);
  expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).untouched)).toBe(true);
  expect(errors).toEqual([]);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});
