// GET /orders for a user with 10,000 orders: every page walk visits each once, and the latency of the
// usual reads (first page, a deep page, a status filter, status and stock together) is printed.
import { applyOrderEvents } from '../../../lib/orders/read-model/apply';
import { startApi, type Api } from '../../support/app-harness';
import { http, keyFor, newUser } from '../../support/order-harness';
import { syntheticOrderEvent, SYNTHETIC_STOCKS } from '../../support/order-events';
import { percentile } from '../../support/read-side';
import { testConfig, testLog } from '../../support/test-stack';

jest.setTimeout(180_000);

const ORDERS = 10_000;
const STOCKS = SYNTHETIC_STOCKS;
const user = newUser('rule');
let api: Api;
let auth: Record<string, string>;

beforeAll(async () => {
  // 800 requests in a row from one key: the rate limit has its own test.
  api = await startApi(testConfig({ RATE_LIMIT_REQUESTS: '1000000' }));
  auth = { Authorization: `Bearer ${await keyFor(api.deps.redis, user)}` };
  for (let i = 0; i < ORDERS; i += 1_000) {
    const errors = await applyOrderEvents(
      api.deps.redis,
      Array.from({ length: 1_000 }, (_, k) => syntheticOrderEvent(user, i + k)),
      1_000,
    );
    expect(errors.filter(Boolean)).toEqual([]);
  }
});

afterAll(() => api?.close());

type Page = {
  orders: { orderId: string; receivedAt: string; phase: string; stockid: string }[];
  nextCursor?: string;
};
const get = (q: string) => http<Page>(`${api.url}/orders${q}`, { headers: auth });

test('walking every page with limit=100 visits each of 10,000 orders once, newest first', async () => {
  const seen: Page['orders'] = [];
  let cursor: string | undefined;
  do {
    const r = await get(`?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status).toBe(200);
    seen.push(...r.body.orders);
    cursor = r.body.nextCursor;
  } while (cursor);
  expect(seen).toHaveLength(ORDERS);
  expect(new Set(seen.map((o) => o.orderId)).size).toBe(ORDERS);
  const times = seen.map((o) => Date.parse(o.receivedAt));
  expect(times).toEqual([...times].sort((a, b) => b - a));
});

test('GET /orders latency with 10,000 orders', async () => {
  const deep = (await get('?limit=100')).body.nextCursor!;
  const cases: [string, string, (p: Page) => void][] = [
    ['first page (limit 20)', '', (p) => expect(p.orders).toHaveLength(20)],
    ['limit 100', '?limit=100', (p) => expect(p.orders).toHaveLength(100)],
    ['a page after a cursor', `?cursor=${deep}`, (p) => expect(p.orders).toHaveLength(20)],
    [
      'status=failed',
      '?status=failed',
      (p) => expect(p.orders.every((o) => o.phase === 'failed')).toBe(true),
    ],
    [
      'status=failed&stockid (scan)',
      `?status=failed&stockid=${STOCKS[1]}`,
      (p) => expect(p.orders.every((o) => o.phase === 'failed' && o.stockid === STOCKS[1])).toBe(true),
    ],
    [
      'status=denied&stockid matching none (bounded scan)',
      `?status=denied&stockid=${STOCKS[1]}`,
      (p) => expect([p.orders.length, typeof p.nextCursor]).toEqual([0, 'string']),
    ],
  ];
  for (const [name, q, check] of cases) {
    const ms: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await get(q);
      expect(r.status).toBe(200);
      check(r.body);
      ms.push(r.ms);
    }
    testLog(
      `GET /orders, 10,000 orders, ${name}: p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms`,
    );
    expect(percentile(ms, 50)).toBeLessThan(100);
  }
});
