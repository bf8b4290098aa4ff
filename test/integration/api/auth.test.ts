// Authentication and ownership: no key, a bad key, another user's key or another user's order are each
// refused with the right status; keys are stored hashed, rate-limited, and never logged.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrderView } from '../../../lib/orders/view';
import { apiKeyHash, issueApiKey, principalOfKey, revokeApiKeys } from '../../../lib/store/api-keys';
import { apiKeyKey, userApiKeysKey, userKey, WATCHLIST_KEY } from '../../../lib/store/keys';
import { createLogger } from '../../../lib/infra/logger';
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { DEMO_PRINCIPALS, seedDemoKeys } from '../../../scripts/ops/seed';
import { startApi } from '../../support/app-harness';
import { SAIPA, userMoney } from '../../support/accounts';
import { bearer, http } from '../../support/http';
import { countOrders, type OrderStack, startOrderStack } from '../../support/order-harness';
import { newUser, operatorKey, putUser } from '../../support/users';
import { testConfig } from '../../support/test-stack';

let stack: OrderStack | undefined;
let { worker, api } = {} as OrderStack;
/** Every log line the API wrote during this file. */
const logLines: string[] = [];
const redis = () => worker.redis;
const alice = newUser('slow');
const bob = newUser('ok');
let aliceKey: string;
let bobKey: string;
let aliceOrder: string;

beforeAll(async () => {
  stack = await startOrderStack(
    { ORDER_START_TIMEOUT: '60s', REQUEST_READ_TIMEOUT: '2s' },
    { log: createLogger('api-test', 'debug', {}, (line) => logLines.push(line)) },
  );
  ({ worker, api } = stack);
  aliceKey = await putUser(redis(), alice, 10_000_000);
  bobKey = await putUser(redis(), bob, 10_000_000);
  const res = await http<OrderView>(`${api.url}/orders`, {
    json: { user: alice, stockid: SAIPA, quantity: 10 },
    headers: bearer(aliceKey),
  });
  expect(res.status).toBe(201);
  aliceOrder = res.body.orderId;
});

afterAll(async () => {
  await stack?.stop();
});

const order = (user: string) => ({ user, stockid: SAIPA, quantity: 10 });

describe('without a valid key: 401 with WWW-Authenticate: Bearer', () => {
  const paths = (): [string, string][] => [
    ['POST', '/orders'],
    ['POST', '/BuyStock'],
    ['GET', `/orders/${aliceOrder}`],
    ['GET', `/orders/${aliceOrder}/result?wait=0`],
    ['PUT', '/admin/users/user1'],
    ['GET', '/admin/watchlist'],
  ];
  test.each([
    ['no Authorization header', undefined, 'Bearer realm="bourse"'],
    ['Basic instead of Bearer', 'Basic dXNlcjE6cGFzcw==', 'Bearer realm="bourse", error="invalid_token"'],
    ['Bearer with nothing', 'Bearer ', 'Bearer realm="bourse", error="invalid_token"'],
    ['a key of the wrong shape', 'Bearer not-a-key', 'Bearer realm="bourse", error="invalid_token"'],
    [
      'a well-formed key nobody was given',
      `Bearer bourse_${'A'.repeat(43)}`,
      'Bearer realm="bourse", error="invalid_token"',
    ],
  ])('%s', async (_name, authorization, challenge) => {
    for (const [method, path] of paths()) {
      const res = await http(`${api.url}${path}`, {
        method,
        ...(method === 'GET' ? {} : { json: order(alice) }),
        headers: authorization === undefined ? {} : { Authorization: authorization },
      });
      expect({ path, status: res.status, error: res.body.error }).toEqual({
        path,
        status: 401,
        error: 'unauthorized',
      });
      expect(res.headers.get('www-authenticate')).toBe(challenge);
      expect(res.body.message).toEqual(expect.any(String));
    }
  });

  test('a revoked key stops working', async () => {
    const user = newUser('ok');
    const key = await putUser(redis(), user, 1_000);
    await revokeApiKeys(redis(), { id: user, role: 'user' });
    expect(await principalOfKey(redis(), key)).toBeUndefined();
    const res = await http(`${api.url}/orders`, { json: order(user), headers: bearer(key) });
    expect(res.status).toBe(401);
  });

  test('public endpoints need no key: health, readiness, metrics, the OpenAPI document, prices', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', `/stocks/${SAIPA}/prices`]) {
      const res = await fetch(`${api.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });
});

test('the OpenAPI document declares the bearer scheme, and which operations are public', async () => {
  const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
    security: unknown;
    components: { securitySchemes: Record<string, { type: string; scheme: string }> };
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  };
  expect(doc.security).toEqual([{ apiKey: [] }]);
  expect(doc.components.securitySchemes.apiKey).toEqual(
    expect.objectContaining({ type: 'http', scheme: 'bearer' }),
  );
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/stocks/{id}/prices']) {
    expect(doc.paths[path].get.security).toEqual([]);
  }
  for (const [path, op] of [
    ['/orders', 'post'],
    ['/orders/{id}', 'get'],
    ['/orders/{id}/result', 'get'],
    ['/admin/users/{id}', 'put'],
  ] as const) {
    expect(doc.paths[path][op].security).toBeUndefined();
    expect(Object.keys(doc.paths[path][op].responses)).toEqual(expect.arrayContaining(['401', '429']));
  }
});

describe('ownership', () => {
  test('an order for another user is 403, and nothing is reserved or started for that user', async () => {
    const res = await http(`${api.url}/orders`, { json: order(alice), headers: bearer(bobKey) });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(expect.objectContaining({ error: 'forbidden', field: 'user' }));
    expect(await userMoney(redis(), bob)).toEqual({ credit: 10_000_000, reserved: 0 });
    expect(await countOrders(api.deps.temporal, `OrderUser = "${bob}"`)).toBe(0);
  });

  test("another user's order is 404, exactly like one that does not exist", async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const suffix of ['', '/result?wait=1']) {
      const theirs = await http(`${api.url}/orders/${aliceOrder}${suffix}`, { headers: bearer(bobKey) });
      const nobodys = await http(`${api.url}/orders/${missing}${suffix}`, { headers: bearer(bobKey) });
      expect(theirs.status).toBe(404);
      expect(theirs.body.error).toBe(nobodys.body.error);
      expect(theirs.body.field).toBe('id');
      expect(theirs.body.message).toBe(`no order ${aliceOrder}`);
    }
  });

  test('the owner reads it; an operator reads any order but cannot place one', async () => {
    const mine = await http<OrderView>(`${api.url}/orders/${aliceOrder}`, { headers: bearer(aliceKey) });
    expect(mine.status).toBe(200);
    expect(mine.body.user).toBe(alice);
    const op = await operatorKey(redis());
    const asOp = await http<OrderView>(`${api.url}/orders/${aliceOrder}/result?wait=30`, {
      headers: bearer(op),
    });
    expect(asOp.status).toBe(200);
    expect(asOp.body.status).toBe(ORDER_STATUS_TEXT.succeeded);
    const place = await http(`${api.url}/orders`, { json: order(alice), headers: bearer(op) });
    expect(place.status).toBe(403);
  });
});

describe('operator endpoints', () => {
  test('a user key is refused with 403', async () => {
    const before = await userMoney(redis(), alice);
    for (const [method, path] of [
      ['PUT', `/admin/users/${alice}`],
      ['POST', `/admin/users/${alice}/keys`],
      ['GET', '/admin/watchlist'],
      ['PUT', `/admin/watchlist/${SAIPA}`],
      ['DELETE', `/admin/watchlist/${SAIPA}`],
    ] as const) {
      const res = await http(`${api.url}${path}`, {
        method,
        ...(method === 'PUT' && path.includes('users') ? { json: { credit: 1 } } : {}),
        headers: bearer(aliceKey),
      });
      expect({ path, status: res.status, error: res.body.error }).toEqual({
        path,
        status: 403,
        error: 'forbidden',
      });
    }
    expect(await userMoney(redis(), alice)).toEqual(before);
  });

  test('an operator loads credit, issues a user key that then trades, and edits the watch list', async () => {
    const op = bearer(await operatorKey(redis()));
    const user = newUser('ok');
    const noUser = await http(`${api.url}/admin/users/${user}/keys`, { method: 'POST', headers: op });
    expect(noUser.status).toBe(404);
    const loaded = await http(`${api.url}/admin/users/${user}`, {
      method: 'PUT',
      raw: '{"credit": 5000000}',
      headers: op,
    });
    expect(loaded.status).toBe(200);
    expect(loaded.body).toEqual({ user, credit: 5_000_000, reserved: 0, available: 5_000_000 });
    const bad = await http(`${api.url}/admin/users/${user}`, {
      method: 'PUT',
      raw: '{"credit": -1}',
      headers: op,
    });
    expect({ status: bad.status, field: bad.body.field }).toEqual({ status: 400, field: 'credit' });

    const issued = await http<{ key: string }>(`${api.url}/admin/users/${user}/keys`, {
      method: 'POST',
      headers: op,
    });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const placed = await http<OrderView>(`${api.url}/orders`, {
      json: order(user),
      headers: bearer(issued.body.key),
    });
    expect(placed.status).toBe(201);
    expect(placed.body.status).toBe(ORDER_STATUS_TEXT.inProgress);

    const stock = '111111111111111';
    expect((await http(`${api.url}/admin/watchlist/${stock}`, { method: 'PUT', headers: op })).status).toBe(
      201,
    );
    expect((await http(`${api.url}/admin/watchlist/${stock}`, { method: 'PUT', headers: op })).status).toBe(
      200,
    );
    const list = await http<{ stocks: string[] }>(`${api.url}/admin/watchlist`, { headers: op });
    expect(list.body.stocks).toContain(stock);
    expect(
      (await http(`${api.url}/admin/watchlist/${stock}`, { method: 'DELETE', headers: op })).status,
    ).toBe(200);
    expect(await redis().sismember(WATCHLIST_KEY, stock)).toBe(0);
    expect((await http(`${api.url}/admin/watchlist/12`, { method: 'PUT', headers: op })).status).toBe(400);
  });
});

describe('keys at rest', () => {
  test('Redis holds only the SHA-256 of a key, under the user hash tag and a lookup by hash', async () => {
    const hash = apiKeyHash(aliceKey);
    expect(await redis().smembers(userApiKeysKey(alice))).toEqual([hash]);
    expect(await redis().hgetall(apiKeyKey(hash))).toEqual(
      expect.objectContaining({ principal: alice, role: 'user' }),
    );
    // Nowhere in Redis does the key itself appear: not in a key name, not in a value we wrote for it.
    const names = await redis().keys('*');
    expect(names.filter((n) => n.includes(aliceKey))).toEqual([]);
    expect(JSON.stringify(await redis().hgetall(apiKeyKey(hash)))).not.toContain(aliceKey);
    expect(JSON.stringify(await redis().hgetall(userKey(alice)))).not.toContain(aliceKey);
  });

  test('the seed issues demo keys once, prints the same ones again, and --rotate-keys replaces them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bourse-keys-')), 'demo-keys.json');
    const first = await seedDemoKeys(redis(), file);
    expect(first.issued).toBe(true);
    expect(Object.keys(first.keys)).toEqual(DEMO_PRINCIPALS.map((p) => p.id));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const p of DEMO_PRINCIPALS) expect(await principalOfKey(redis(), first.keys[p.id])).toEqual(p);
    const again = await seedDemoKeys(redis(), file);
    expect(again).toEqual({ keys: first.keys, issued: false });
    const rotated = await seedDemoKeys(redis(), file, { rotate: true });
    expect(rotated.issued).toBe(true);
    expect(rotated.keys.user1).not.toBe(first.keys.user1);
    expect(await principalOfKey(redis(), first.keys.user1)).toBeUndefined();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(rotated.keys);
  });
});

describe('limits', () => {
  test('over the per-key rate: 429 with Retry-After; another key is not affected', async () => {
    const limited = await startApi(
      testConfig({ RATE_LIMIT_REQUESTS: '3', RATE_LIMIT_WINDOW: '1m', ORDER_START_TIMEOUT: '60s' }),
    );
    try {
      const otherKeys: string[] = [];
      const user = newUser('ok');
      const key = await putUser(redis(), user, 0);
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof http<{ error?: string }>>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await http<{ error?: string }>(`${limited.url}/orders/00000000-0000-4000-8000-000000000000`, {
          headers: bearer(key),
        });
        statuses.push(last.status);
      }
      // Three within the window (404: no such order), then refused — unless the minute turned over
      // between them, which resets the count: then at least the last answers must still be consistent.
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
      const refused = statuses.lastIndexOf(429) === 4 ? last! : undefined;
      if (refused) {
        expect(refused.body.error).toBe('rate_limited');
        const retryAfter = Number(refused.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }
      // (The count is per key across every API instance, so the other key must be fresh here too.)
      await putUser(redis(), newUser('ok'), 0).then((k) => otherKeys.push(k));
      const other = await http(`${limited.url}/orders/00000000-0000-4000-8000-000000000000`, {
        headers: bearer(otherKeys[0]),
      });
      expect(other.status).toBe(404);
    } finally {
      await limited.close();
    }
  });

  test('a client that sends its headers too slowly is cut off (408)', async () => {
    const { port } = new URL(api.url);
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
    await new Promise<void>((done) => socket.on('close', () => done()));
    const ms = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(1_500);
    expect(ms).toBeLessThan(30_000);
  });
});

describe('no key or secret in any log line', () => {
  test('valid, invalid and revoked keys, in every endpoint, leave no trace in the logs', async () => {
    const op = await operatorKey(redis());
    const user = newUser('ok');
    const key = await putUser(redis(), user, 10_000_000);
    const stolen = await issueApiKey(redis(), { id: user, role: 'user' });
    await redis().del(apiKeyKey(apiKeyHash(stolen)));
    const secrets = [aliceKey, bobKey, op, key, stolen];
    await http(`${api.url}/orders`, { json: order(user), headers: bearer(key) });
    await http(`${api.url}/orders`, { json: order(alice), headers: bearer(key) });
    await http(`${api.url}/orders`, { json: order(user), headers: bearer(stolen) });
    await http(`${api.url}/orders`, { raw: `{"user":"${key}"}`, headers: bearer(key) });
    await http(`${api.url}/orders/${key}`, { headers: bearer(key) });
    await http(`${api.url}/orders/${aliceOrder}?k=${key}`, { headers: bearer(op) });
    await http(`${api.url}/admin/users/${user}/keys`, { method: 'POST', headers: bearer(op) });
    await http(`${api.url}/admin/users/${user}`, {
      method: 'PUT',
      raw: `{"credit":"${op}"}`,
      headers: bearer(op),
    });
    expect(logLines.length).toBeGreaterThan(5);
    const joined = logLines.join('');
    for (const secret of secrets) {
      expect(joined).not.toContain(secret);
      expect(joined).not.toContain(secret.slice(7)); // the random part alone
    }
    expect(joined).not.toMatch(/bourse_[A-Za-z0-9_-]{43}/);
    // The request lines still say who called.
    expect(logLines.some((l) => l.includes(`"principal":"${user}"`))).toBe(true);
  });
});
