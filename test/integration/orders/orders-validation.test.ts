// Every bad order input gets its 4xx naming the field, and leaves no workflow and no reservation.
import { orderKey, stockInfoKey, userKey, WATCHLIST_KEY } from '../../../lib/store/keys';
import { seedDemoData } from '../../../scripts/ops/seed';
import { SAIPA, userMoney } from '../../support/accounts';
import { http } from '../../support/http';
import { countOrders, eventually, type OrderStack, startOrderStack } from '../../support/order-harness';
import { authOf, keyFor, newUser, putUser } from '../../support/users';

const NO_PRICE_STOCK = '123456789012345'; // known (has a name) but never priced
const UNKNOWN_STOCK = '999999999999999';
// Put on the watch list here, never priced.
const UNPRICED_WATCHED = `5${String(Date.now()).padStart(14, '0')}`;

let stack: OrderStack | undefined;
let { worker, api } = {} as OrderStack;
const user = newUser('val');

beforeAll(async () => {
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '60s' });
  ({ worker, api } = stack);
  await putUser(worker.redis, user, 1_000_000_000);
  await keyFor(worker.redis, 'nobody-here'); // a key whose user has no account
  await worker.redis.hset(stockInfoKey(NO_PRICE_STOCK), { name: 'test stock without a price' });
  await worker.redis.sadd(WATCHLIST_KEY, UNPRICED_WATCHED);
});

afterAll(async () => {
  await worker?.redis.srem(WATCHLIST_KEY, UNPRICED_WATCHED);
  await stack?.stop();
});

const good = () => ({ user, stockid: SAIPA, quantity: 10 });
const json = (v: unknown) => JSON.stringify(v);

type Req = { raw?: string; headers?: Record<string, string>; path?: string };
type Case = [name: string, status: number, field: string, error: string, req: Req];
const bad = (field: string, req: Req, name: string): Case => [name, 400, field, 'invalid_request', req];
const cases: Case[] = [
  bad('body', { raw: `{"user": "${user}", "stockid": ` }, 'malformed JSON'),
  bad('body', { raw: `${json(good())} x` }, 'trailing garbage'),
  bad('body', { raw: '[1, 2, 3]' }, 'not an object'),
  bad('body', { raw: '' }, 'empty body'),
  bad('user', { raw: json({ stockid: SAIPA, quantity: 1 }) }, 'missing user'),
  bad('stockid', { raw: json({ user, quantity: 1 }) }, 'missing stockid'),
  bad('quantity', { raw: json({ user, stockid: SAIPA }) }, 'missing quantity'),
  bad('price', { raw: json({ ...good(), price: 1 }) }, 'extra field'),
  bad(
    'quantity',
    { raw: `{"user":"${user}","stockid":"${SAIPA}","quantity":1,"quantity":900}` },
    'duplicate field',
  ),
  bad('user', { raw: json({ ...good(), user: 42 }) }, 'user not a string'),
  bad('user', { raw: json({ ...good(), user: 'a}b' }) }, 'user with a brace'),
  bad('stockid', { raw: json({ ...good(), stockid: true }) }, 'stockid a boolean'),
  bad('stockid', { raw: json({ ...good(), stockid: 123 }) }, 'stockid too short'),
  bad(
    'stockid',
    { raw: `{"user":"${user}","stockid":4.48914820268678331e16,"quantity":1}` },
    'stockid in exponent form that is no integer',
  ),
  bad('quantity', { raw: json({ ...good(), quantity: 0 }) }, 'quantity zero'),
  bad('quantity', { raw: json({ ...good(), quantity: -5 }) }, 'quantity negative'),
  bad('quantity', { raw: json({ ...good(), quantity: 1.5 }) }, 'quantity fractional'),
  bad('quantity', { raw: json({ ...good(), quantity: '10' }) }, 'quantity a string'),
  bad('quantity', { raw: json({ ...good(), quantity: 1e12 }) }, 'quantity absurd'),
  bad(
    'quantity',
    { raw: `{"user":"${user}","stockid":"${SAIPA}","quantity":99999999999999999999999}` },
    'quantity huge literal',
  ),
  bad(
    'Idempotency-Key',
    { raw: json(good()), headers: { 'idempotency-key': 'k'.repeat(300) } },
    'bad Idempotency-Key',
  ),
  bad(
    'quantity',
    { raw: json({ ...good(), quantity: 0 }), path: '/BuyStock' },
    'the BuyStock alias validates too',
  ),
  [
    'unknown user (a key whose user has no account)',
    422,
    'user',
    'unknown_user',
    { raw: json({ ...good(), user: 'nobody-here' }), headers: { 'x-as': 'nobody-here' } },
  ],
  ['unknown stock', 422, 'stockid', 'unknown_stock', { raw: json({ ...good(), stockid: UNKNOWN_STOCK }) }],
  [
    'a known stock off the watch list',
    422,
    'stockid',
    'not_tradable',
    { raw: json({ ...good(), stockid: NO_PRICE_STOCK }) },
  ],
  [
    'a watched stock without a price yet',
    409,
    'stockid',
    'no_fresh_price',
    { raw: json({ ...good(), stockid: UNPRICED_WATCHED }) },
  ],
  bad('Idempotency-Key', { raw: json(good()), headers: { 'idempotency-key': '' } }, 'empty Idempotency-Key'),
  [
    'wrong content type',
    415,
    'Content-Type',
    'unsupported_media_type',
    { raw: json(good()), headers: { 'content-type': 'text/plain' } },
  ],
  [
    'form content type',
    415,
    'Content-Type',
    'unsupported_media_type',
    { raw: 'user=a&stockid=1&quantity=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  ],
  ['oversize body', 413, 'body', 'payload_too_large', { raw: json({ ...good(), user: 'x'.repeat(10_000) }) }],
];

describe('POST /orders refuses bad input', () => {
  test.each(cases)('%s → %i naming %s', async (_name, status, field, error, req) => {
    const before = await userMoney(worker.redis, user);
    const { 'x-as': as, ...headers } = req.headers ?? {};
    const res = await http(`${api.url}${req.path ?? '/orders'}`, {
      raw: req.raw,
      headers: { ...authOf(as ?? user), ...headers },
      method: 'POST',
    });
    expect({ status: res.status, field: res.body.field, error: res.body.error }).toEqual({
      status,
      field,
      error,
    });
    expect(typeof res.body.message).toBe('string');
    expect(await userMoney(worker.redis, user)).toEqual(before);
  });

  test('no workflow and no reservation is left behind by any of them', async () => {
    expect(await worker.redis.keys(orderKey(user, '*'))).toEqual([]);
    expect(await userMoney(worker.redis, user)).toEqual({ credit: 1_000_000_000, reserved: 0 });
    // Visibility is eventually consistent: prove it sees this user's orders by placing one good order,
    // then count: exactly that one.
    const ok = await http<{ orderId: string }>(`${api.url}/orders`, { json: good(), headers: authOf(user) });
    expect(ok.status).toBe(201);
    await eventually('the good order visible', async () =>
      (await countOrders(api.deps.temporal, `OrderUser = "${user}"`)) > 0 ? true : undefined,
    );
    expect(await countOrders(api.deps.temporal, `OrderUser = "${user}"`)).toBe(1);
    expect(await countOrders(api.deps.temporal, `OrderUser = "nobody-here"`)).toBe(0);
    expect(await worker.redis.keys(orderKey(user, '*'))).toEqual([orderKey(user, ok.body.orderId)]);
  });
});

describe('reading orders refuses bad input', () => {
  test.each([
    ['/orders/not-an-id', 400, 'id'],
    ['/orders/00000000-0000-4000-8000-000000000000', 404, 'id'],
    ['/orders/00000000-0000-4000-8000-000000000000/result?wait=abc', 400, 'wait'],
    ['/orders/00000000-0000-4000-8000-000000000000/result?wait=-1', 400, 'wait'],
    // A longer wait than RESULT_WAIT_MAX is clamped, not refused: this one is unknown, so a 404.
    ['/orders/00000000-0000-4000-8000-000000000000/result?wait=100000', 404, 'id'],
    ['/orders/00000000-0000-4000-8000-000000000000/result?wait=1', 404, 'id'],
  ])('GET %s → %i naming %s', async (path, status, field) => {
    const res = await http(`${api.url}${path}`, { headers: authOf(user) });
    expect({ status: res.status, field: res.body.field }).toEqual({ status, field });
  });
});

describe('the API describes itself', () => {
  test('GET /openapi.json serves the OpenAPI document, the 17-digit example intact', async () => {
    const res = await fetch(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    const doc = JSON.parse(text) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/orders', '/BuyStock', '/orders/{id}', '/orders/{id}/result']),
    );
    expect(text).toContain('"stockid": 44891482026867833');
  });
});

describe('demo data', () => {
  test('the seed loads DESIGN.md users and stocks, and keeps moved credit unless reset', async () => {
    await seedDemoData(worker.redis, { reset: true });
    expect(await userMoney(worker.redis, 'user1')).toEqual({ credit: 150_000_000, reserved: 0 });
    expect(await userMoney(worker.redis, 'user2')).toEqual({ credit: 6_000_000_000, reserved: 0 });
    expect(await worker.redis.hget(stockInfoKey(SAIPA), 'name')).toBe('سایپا');
    await worker.redis.hset(userKey('user1'), 'credit', '5');
    await seedDemoData(worker.redis);
    expect((await userMoney(worker.redis, 'user1')).credit).toBe(5);
    await seedDemoData(worker.redis, { reset: true });
    expect((await userMoney(worker.redis, 'user1')).credit).toBe(150_000_000);
  });
});
