// The HTTP contract at its edges (issue 10, items 4–10): what the published schema allows is accepted,
// what it refuses is a 4xx naming the field, and every error — even Node's own — is the same JSON shape.
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import {
  authOf,
  http,
  keyFor,
  putUser,
  SAIPA,
  newUser,
  startOrderStack,
  type OrderStack,
} from '../../support/order-harness';
import { rawRequest } from '../../support/raw-http';

let stack: OrderStack | undefined;
let api: OrderStack['api'];
const user = newUser('rule');

// A worker runs here, so every order this file places is decided before it ends: an order left for a
// later file's worker would run there, at that file's prices.
beforeAll(async () => {
  stack = await startOrderStack({ REQUEST_READ_TIMEOUT: '2s' }, { price: 2_850 });
  api = stack.api;
  await putUser(api.deps.redis, user, 1_000);
  await keyFor(api.deps.redis, user);
});

afterAll(async () => {
  await stack?.stop();
});

const host = () => new URL(api.url).host;
const isErrorShape = (b: unknown) =>
  typeof b === 'object' &&
  b !== null &&
  typeof (b as { error?: unknown }).error === 'string' &&
  typeof (b as { message?: unknown }).message === 'string';

describe('methods no route serves', () => {
  test.each(['TRACE', 'PATCH', 'PUT'])('%s /orders → 405 JSON with Allow', async (method) => {
    const res = await rawRequest(
      api.url,
      `${method} /orders HTTP/1.1\r\nHost: ${host()}\r\nConnection: close`,
    );
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('HEAD, GET, POST'); // GET lists the orders, POST places one
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'method_not_allowed' });
  });

  test('TRACE on a price route lists GET and HEAD', async () => {
    const res = await http(`${api.url}/stocks/${SAIPA}/price`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('HEAD, GET');
    expect(isErrorShape(res.body)).toBe(true);
  });

  test('an unknown path is a JSON 404', async () => {
    const res = await http(`${api.url}/nowhere`, { method: 'GET' });
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 404, error: 'not_found' });
  });
});

describe("errors Node's HTTP server answers before Koa runs are JSON too", () => {
  test('headers too large → 431 JSON', async () => {
    const res = await rawRequest(
      api.url,
      `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close`,
    );
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({ error: 'headers_too_large', message: expect.any(String) });
  });

  test('a sender too slow to finish its headers → 408 JSON', async () => {
    const res = await rawRequest(api.url, `GET /healthz HTTP/1.1\r\nHost: ${host()}`, { incomplete: true });
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toEqual({ error: 'request_timeout', message: expect.any(String) });
  });

  test('malformed HTTP → 400 JSON', async () => {
    const res = await rawRequest(api.url, 'GARBAGE\u0001 / HTTP/9\r\nConnection: close');
    expect(res.status).toBe(400);
    expect(isErrorShape(JSON.parse(res.body))).toBe(true);
  });
});

describe('ambiguous credentials and keys', () => {
  test('two Authorization headers → 400, whichever comes first', async () => {
    const key = authOf(user).Authorization;
    const res = await rawRequest(
      api.url,
      `GET /orders/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: ${key}\r\nAuthorization: Bearer bourse_${'x'.repeat(43)}\r\nConnection: close`,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request', field: 'Authorization' });
  });

  test('two Idempotency-Key headers → 400', async () => {
    const body = JSON.stringify({ user, stockid: SAIPA, quantity: 1 });
    const res = await rawRequest(
      api.url,
      `POST /orders HTTP/1.1\r\nHost: ${host()}\r\n${Object.entries(authOf(user))[0].join(': ')}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nConnection: close`,
      { body },
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ field: 'Idempotency-Key' });
  });
});

describe('RFC 3339 times on /stocks/:id/prices, strictly', () => {
  const at = (from: string) => http(`${api.url}/stocks/${SAIPA}/prices?from=${encodeURIComponent(from)}`);
  test.each([
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-22T24:00:00Z',
    '2026-11-22T07:00Z',
    '2026-11-22T07:60:00Z',
    '2026-11-22T07:00:00+24:00',
    '2026-13-01T00:00:00Z',
  ])('%s → 400 naming from', async (from) => {
    const res = await at(from);
    expect({ status: res.status, field: res.body.field }).toEqual({ status: 400, field: 'from' });
  });
  test.each([
    '2026-11-22T07:00:00.1234Z',
    '2026-11-22t07:00:00z',
    '2024-02-29T07:00:00+03:30',
    '2026-11-22T07:00:00.5-01:00',
  ])('%s → 200', async (from) => {
    const res = await at(from);
    expect(res.status).toBe(200);
  });
});

describe('what the schema allows is accepted', () => {
  test('quantity 1.0e0 and 1.0 are whole numbers', async () => {
    for (const q of ['1.0e0', '1.0']) {
      const res = await http(`${api.url}/orders`, {
        method: 'POST',
        headers: authOf(user),
        raw: `{"user":"${user}","stockid":${SAIPA},"quantity":${q}}`,
      });
      // Read as quantity 1: 2,850 against a credit of 1,000, so its credit check denies it.
      expect([res.status, res.body.status]).toEqual([201, ORDER_STATUS_TEXT.denied]);
    }
  });

  test('wait=1e0 and an upper-case order id are read', async () => {
    const res = await http(`${api.url}/orders/00000000-0000-4000-8000-00000000ABCD/result?wait=1e0`, {
      headers: authOf(user),
    });
    expect({ status: res.status, field: res.body.field }).toEqual({ status: 404, field: 'id' });
    expect(res.body.message).toContain('00000000-0000-4000-8000-00000000abcd');
  });
});
