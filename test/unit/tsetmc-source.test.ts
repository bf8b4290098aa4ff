// The TSETMC source against a local HTTP server serving recorded response shapes (never the internet):
// parsing, the row chosen for a past minute, and surviving 403, 500, block pages and timeouts.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '../../lib/infra/logger';
import { createTsetmcSource, type TsetmcSourceOptions } from '../../lib/prices/sources/tsetmc';
import { rowAtMinute, tehranClock } from '../../lib/prices/sources/tsetmc-api';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'tsetmc', name), 'utf8');
const INFO = fixture('closing-price-info.json');
const HISTORY = fixture('closing-price-history-20251007.json');
const TRADES = fixture('trade-today.json');
const BLOCK_PAGE = fixture('block-page.html');
const STOCK = '46348559193224090';

interface Reply {
  status?: number;
  body: string;
  type?: string;
  /** Never answered: the client's timeout is what ends it. */
  hang?: boolean;
}
const json = (body: string): Reply => ({ body, type: 'application/json; charset=utf-8' });

/** A fake cdn.tsetmc.com: per path, replies served in order (the last one repeats). */
class FakeTsetmc {
  server: Server;
  replies = new Map<string, Reply[]>();
  requests: { path: string; headers: IncomingHttpHeaders }[] = [];
  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url!.replace(/^\/api\//, '');
      this.requests.push({ path, headers: req.headers });
      const queue = this.replies.get(path);
      // As the real server: no browser User-Agent, 403.
      const reply: Reply = !/Mozilla/.test(req.headers['user-agent'] ?? '')
        ? { status: 403, body: 'Forbidden' }
        : !queue
          ? { status: 404, body: 'no fixture' }
          : queue.length > 1
            ? queue.shift()!
            : queue[0];
      if (reply.hang) return;
      res.writeHead(reply.status ?? 200, { 'content-type': reply.type ?? 'text/plain' });
      res.end(reply.body);
    });
  }
  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }
}

let fake: FakeTsetmc;
let baseUrl: string;
let logLines: Record<string, unknown>[];

beforeEach(async () => {
  fake = new FakeTsetmc();
  baseUrl = await fake.start();
  logLines = [];
});
afterEach(async () => {
  fake.server.closeAllConnections();
  await new Promise((done) => fake.server.close(done));
});

function source(now: string, overrides: Partial<TsetmcSourceOptions> = {}) {
  return createTsetmcSource({
    baseUrl,
    timeoutMs: 2_000,
    maxAttempts: 3,
    retryBaseMs: 10,
    concurrency: 2,
    timezone: 'Asia/Tehran',
    log: createLogger('tsetmc-test', 'debug', {}, (line) =>
      logLines.push(JSON.parse(line) as Record<string, unknown>),
    ),
    now: () => new Date(now),
    ...overrides,
  });
}

test('Tehran clock in TSETMC integer form', () => {
  expect(tehranClock(new Date('2025-10-08T05:30:33Z'))).toEqual({ date: 20251008, time: 90033 });
  expect(tehranClock(new Date('2025-10-07T21:00:00Z'))).toEqual({ date: 20251008, time: 3000 });
});

test('the price at a minute is the newest row at or before it', () => {
  const rows = (JSON.parse(HISTORY) as { closingPriceHistory: Parameters<typeof rowAtMinute>[0] })
    .closingPriceHistory;
  expect(rowAtMinute(rows, 100000)?.hEven).toBe(95812); // not 10:00:30, which is after 10:00
  expect(rowAtMinute(rows, 100030)?.hEven).toBe(100030); // at counts
  expect(rowAtMinute(rows, 90000)?.hEven).toBe(64140); // the pre-open snapshot
  expect(rowAtMinute(rows, 150000)?.hEven).toBe(122958);
  expect(rowAtMinute(rows, 60000)).toBeUndefined(); // before the day's first row
});

test('the current minute comes from GetClosingPriceInfo, keyed by the code asked for, with browser headers', async () => {
  fake.replies.set(`ClosingPrice/GetClosingPriceInfo/${STOCK}`, [json(INFO)]);
  const [tick, ...rest] = await source('2025-10-08T08:59:20Z').pricesAt(
    [STOCK],
    new Date('2025-10-08T08:59:00Z'),
  );
  expect(rest).toEqual([]);
  expect(tick).toEqual({
    stockId: STOCK, // the server said insCode "0"
    minute: '2025-10-08T08:59:00.000Z',
    price: 35358,
    last: 35540,
    open: 35700,
    low: 35210,
    high: 35809,
    yesterday: 35512,
    trades: 133,
    volume: 2762154,
    value: 97663276951,
    source: 'tsetmc',
    fetchedAt: '2025-10-08T08:59:20.000Z',
  });
  expect(fake.requests[0].headers).toEqual(
    expect.objectContaining({
      'user-agent': expect.stringMatching(/^Mozilla/),
      referer: 'https://www.tsetmc.com/',
    }),
  );
});

test("a past day's minute comes from GetClosingPriceHistory: that minute's row, not today's price", async () => {
  fake.replies.set(`ClosingPrice/GetClosingPriceHistory/${STOCK}/20251007`, [json(HISTORY)]);
  const src = source('2025-10-08T08:00:00Z');
  const at = async (iso: string) => (await src.pricesAt([STOCK], new Date(iso)))[0];
  // 10:00 Tehran on 7 October (06:30Z): the 09:58:12 row.
  expect(await at('2025-10-07T06:30:00Z')).toEqual(
    expect.objectContaining({
      minute: '2025-10-07T06:30:00.000Z',
      price: 14296,
      last: 14310,
      open: 14200,
      low: 14200,
      high: 14310,
      yesterday: 14250,
      trades: 590,
      volume: 3990000,
    }),
  );
  // 09:00 Tehran, before the first trade: the pre-open snapshot (yesterday's close).
  expect(await at('2025-10-07T05:30:00Z')).toEqual(expect.objectContaining({ price: 14250, trades: 0 }));
  // 12:29 Tehran: the 10:00:30 row, since 12:29:58 is after 12:29.
  expect(await at('2025-10-07T08:59:00Z')).toEqual(expect.objectContaining({ price: 14301, trades: 611 }));
  // 06:00 Tehran, before the day's first row: no price is invented.
  expect(await src.pricesAt([STOCK], new Date('2025-10-07T02:30:00Z'))).toEqual([]);
  expect(fake.requests.every((r) => r.path === `ClosingPrice/GetClosingPriceHistory/${STOCK}/20251007`)).toBe(
    true,
  );
});

test("an earlier minute of today comes from today's trades (history answers 500 for today)", async () => {
  fake.replies.set(`ClosingPrice/GetClosingPriceHistory/${STOCK}/20251008`, [{ status: 500, body: 'error' }]);
  fake.replies.set(`Trade/GetTrade/${STOCK}`, [json(TRADES)]);
  fake.replies.set(`ClosingPrice/GetClosingPriceInfo/${STOCK}`, [json(INFO)]);
  // 09:10 Tehran (05:40Z), fetched at 10:00 Tehran: trades 1, 2 and 4 (3 was cancelled, 5 is later).
  const [tick] = await source('2025-10-08T06:30:00Z').pricesAt([STOCK], new Date('2025-10-08T05:40:00Z'));
  expect(tick).toEqual(
    expect.objectContaining({
      price: Math.round((8000 * 24461 + 2000 * 24500 + 1000 * 24400) / 11000),
      last: 24400,
      open: 24461,
      low: 24400,
      high: 24500,
      yesterday: 35512,
      trades: 3,
      volume: 11000,
      value: 8000 * 24461 + 2000 * 24500 + 1000 * 24400,
    }),
  );
  expect(fake.requests.some((r) => r.path.startsWith('ClosingPrice/GetClosingPriceHistory'))).toBe(false);
});

test('survives 403, 500, a block page and a timeout, logging each as what it is', async () => {
  fake.replies.set(`ClosingPrice/GetClosingPriceInfo/${STOCK}`, [
    { status: 403, body: 'Forbidden' },
    { status: 500, body: 'Internal Server Error' },
    { body: BLOCK_PAGE, type: 'text/html; charset=utf-8' },
    { ...json(INFO), hang: true },
    json(INFO),
  ]);
  // The timeout is what ends the unanswered request; the answered ones have a second and more to spare.
  const src = source('2025-10-08T08:59:20Z', { maxAttempts: 5, timeoutMs: 1_500 });
  const [tick] = await src.pricesAt([STOCK], new Date('2025-10-08T08:59:00Z'));
  expect(tick?.price).toBe(35358);
  expect(logLines.map((l) => l.kind)).toEqual(['blocked', 'server_error', 'block_page', 'timeout']);
  expect(logLines.map((l) => l.msg)).toEqual([
    'tsetmc blocked',
    'tsetmc server_error',
    'tsetmc block_page',
    'tsetmc timeout',
  ]);
});

test('gives up after the configured attempts and fails the fetch (the activity retries later)', async () => {
  fake.replies.set(`ClosingPrice/GetClosingPriceInfo/${STOCK}`, [{ status: 500, body: 'down' }]);
  await expect(
    source('2025-10-08T08:59:20Z').pricesAt([STOCK], new Date('2025-10-08T08:59:00Z')),
  ).rejects.toThrow(/tsetmc server_error/);
  expect(fake.requests).toHaveLength(3);
  expect(logLines.at(-1)).toEqual(expect.objectContaining({ givingUp: true, attempt: 3 }));
});

test('a JSON answer of the wrong shape is a parse error, not retried as a block', async () => {
  fake.replies.set(`ClosingPrice/GetClosingPriceInfo/${STOCK}`, [
    json('{"closingPriceInfo":{"pClosing":"n/a"}}'),
  ]);
  await expect(
    source('2025-10-08T08:59:20Z').pricesAt([STOCK], new Date('2025-10-08T08:59:00Z')),
  ).rejects.toThrow(/tsetmc bad_response/);
  expect(fake.requests).toHaveLength(1);
});
