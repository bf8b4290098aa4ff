// Property-based fuzzing of every endpoint with hostile input: random and adversarial bodies, headers,
// ids, sizes, encodings, numbers beyond 2^53, unicode, Redis key-pattern escapes. Each answer must be a
// 4xx with a clear JSON message — never a 5xx, never a crash — and nothing may be left behind: no
// workflow, no reservation, no Redis key. FUZZ_SEED and FUZZ_RUNS (lib/config) fix the seed and the
// number of cases per property; `npm run fuzz -- --runs 5000` runs a long one.
import fc from 'fast-check';
import { exactInteger } from '../../../lib/contracts/json';
import { orderKey, userKey } from '../../../lib/store/keys';
import { SAIPA, userMoney } from '../../support/accounts';
import { bearer, http } from '../../support/http';
import { countOrders, eventually, type OrderStack, startOrderStack } from '../../support/order-harness';
import { operatorKey, putUser } from '../../support/users';
import { testConfig } from '../../support/test-stack';

const overrides = { RATE_LIMIT_REQUESTS: '1000000', ORDER_START_TIMEOUT: '60s' };
const cfg = testConfig(overrides);
const RUNS = cfg.FUZZ_RUNS;
const SEED = cfg.FUZZ_SEED;
const CREDIT = 1_000_000_000;
const FUZZ_USER = 'fuzz-user';

let stack: OrderStack | undefined;
let { worker, api } = {} as OrderStack;
let userKeyText: string;
let opKey: string;
let keysBefore: Set<string>;
let startedAt: Date;
let cases = 0;

beforeAll(async () => {
  stack = await startOrderStack(overrides);
  ({ worker, api } = stack);
  userKeyText = await putUser(worker.redis, FUZZ_USER, CREDIT);
  opKey = await operatorKey(worker.redis);
  keysBefore = new Set(await worker.redis.keys('*'));
  startedAt = new Date();
});

afterAll(async () => {
  process.stderr.write(`[fuzz] ${cases} cases tried (seed ${SEED}, ${RUNS} runs per property)\n`);
  await stack?.stop();
});

interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/**
 * Sends one request and checks the contract: 4xx, JSON {error, message}. A request the HTTP client
 * itself refuses to send (an illegal header value) is not a case.
 */
async function expect4xx(req: Req): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${api.url}${req.path}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
    });
  } catch (err) {
    // (By name: undici's TypeError comes from another realm than jest's.)
    if ((err as Error).name === 'TypeError' && !/fetch failed/.test((err as Error).message)) {
      fc.pre(false); // fetch refused the request (invalid header or URL): not sent, not a case
    }
    throw err;
  }
  cases++;
  const text = await res.text();
  const describe = () =>
    `${req.method} ${req.path} ${JSON.stringify(req.headers ?? {})} ${String(req.body).slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`;
  if (res.status < 400 || res.status >= 500) throw new Error(`not a 4xx: ${describe()}`);
  let body: { error?: unknown; message?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`not JSON: ${describe()}`);
  }
  if (typeof body.error !== 'string' || typeof body.message !== 'string' || !body.message) {
    throw new Error(`no clear message: ${describe()}`);
  }
}

const params = () => ({ seed: SEED, numRuns: RUNS, endOnFailure: true });

// Strings that try to escape a Redis key pattern or a hash tag, or upset a parser.
const hostileText = fc.oneof(
  fc.constantFrom(
    '*',
    '?',
    '[a-z]',
    '{',
    '}',
    '{user:user1}',
    'user1}:x',
    '}{',
    ':',
    'a:b',
    '\n',
    '\r\n',
    'a\nb',
    '\0',
    '..',
    '../..',
    '%00',
    '%2e%2e',
    '__proto__',
    'constructor',
    'prototype',
    '۴۴۸۹۱۴۸۲۰۲۶۸۶۷۸۳۳', // Extended Arabic-Indic digits
    '٤٤٨٩١٤٨٢٠٢٦٨٦٧٨٣٣', // Arabic-Indic digits
    '４４８９１４８２０２６８６７８３３', // full-width digits
    'user1\u200b',
    'ｕｓｅｒ１',
    'user1 ',
    ' user1',
    '',
    'a'.repeat(65),
    '😀',
    '\ud800',
    'DROP TABLE orders;',
    '$(reboot)',
    '${jndi:ldap://x}',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc
    .tuple(fc.string({ maxLength: 40 }), fc.constantFrom('*', '{', '}', ':', '\n', '\r\n'))
    .map(([s, c]) => `${s}${c}${s}`),
);

// Numbers as JSON text: beyond 2^53, exponents, fractions, negatives, zeros, huge literals.
const hostileNumberText = fc.oneof(
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }).map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 0n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.constantFrom(
    '0',
    '-0',
    '0.0',
    '1.0',
    '1e3',
    '1E3',
    '1e-7',
    '-1',
    '1.5',
    '9007199254740993',
    '1e400',
    '0.1e1',
  ),
  fc.integer({ min: 1, max: 99 }).map((n) => '9'.repeat(n)),
);

/** A JSON value of any kind, as text. */
const anyJsonText = fc.oneof(
  fc.json({ maxDepth: 3 }),
  hostileNumberText,
  hostileText.map((s) => JSON.stringify(s)),
);

/** The literal denotes an integer in [min, max] (1e3 and 5.0 do): the contract accepts it. */
const inRange = (t: string, min: number, max: number): boolean => {
  const digits = exactInteger(t);
  return digits !== undefined && digits.length <= 17 && Number(digits) >= min && Number(digits) <= max;
};

const goodUser = fc.constant(JSON.stringify(FUZZ_USER));
const goodStock = fc.constantFrom(SAIPA, `"${SAIPA}"`);
const goodQty = fc.integer({ min: 1, max: 5 }).map(String);
const badUser = fc.oneof(
  hostileText.filter((s) => s !== FUZZ_USER).map((s) => JSON.stringify(s)),
  hostileNumberText,
  fc.constantFrom('null', 'true', '[]', '{}', '["fuzz-user"]', '{"$ne":null}'),
  fc.constant(JSON.stringify('user1')), // someone else: 403
);
const badStock = fc.oneof(
  // Any literal that denotes SAIPA exactly (4.4891482026867833e16, …833.0) is SAIPA: not bad.
  hostileNumberText.filter((t) => exactInteger(t) !== SAIPA),
  hostileText.map((s) => JSON.stringify(s)),
  fc.bigInt({ min: 10n ** 17n, max: 10n ** 30n }).map(String), // too many digits
  fc.bigInt({ min: 10n ** 14n, max: 10n ** 17n - 1n }).map((n) => JSON.stringify(`${n}*`)),
  fc.constantFrom('4.48914820268678331e16', '44891482026867833.5', '-44891482026867833', 'null', '[]', '{}'),
);
const badQty = fc.oneof(
  // What JSON Schema calls an integer from 1 to 10^9 (1e3, 5.0) is a good quantity.
  hostileNumberText.filter((t) => !inRange(t, 1, 1e9)),
  hostileText.map((s) => JSON.stringify(s)),
  fc.constantFrom('null', 'true', '[1]', '{}', '"1"'),
);

/** An order body with at least one bad field (or a bad extra field): never a valid order. */
const badOrderBody = fc
  .record({
    user: fc.tuple(fc.boolean(), goodUser, badUser),
    stockid: fc.tuple(fc.boolean(), goodStock, badStock),
    quantity: fc.tuple(fc.boolean(), goodQty, badQty),
    extra: fc.option(fc.tuple(hostileText, anyJsonText), { nil: undefined }),
    drop: fc.option(fc.constantFrom('user', 'stockid', 'quantity'), { nil: undefined }),
  })
  .filter((r) => r.user[0] || r.stockid[0] || r.quantity[0] || r.extra !== undefined || r.drop !== undefined)
  .map((r) => {
    const fields: [string, string][] = [];
    for (const k of ['user', 'stockid', 'quantity'] as const) {
      if (r.drop === k) continue;
      const [bad, good, evil] = r[k];
      fields.push([k, bad ? evil : good]);
    }
    if (r.extra) fields.push([r.extra[0], r.extra[1]]);
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  })
  // A hostile "extra" key that happens to be a real field name would make a duplicate: still bad.
  .filter((text) => text.length > 0);

const auth = () => bearer(userKeyText);

/** encodeURIComponent, or no case at all for text it cannot encode (a lone surrogate). */
function enc(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    fc.pre(false);
    return '';
  }
}
const json = { 'Content-Type': 'application/json' };

describe('POST /orders and /BuyStock', () => {
  test('random bytes, any content type: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/orders', '/BuyStock'),
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', ''),
        async (path, bytes, type) => {
          await expect4xx({
            method: 'POST',
            path,
            headers: { ...auth(), 'Content-Type': type },
            body: bytes,
          });
        },
      ),
      params(),
    );
  });

  test('random JSON values and hostile text: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJsonText, hostileText), async (body) => {
        await expect4xx({ method: 'POST', path: '/orders', headers: { ...auth(), ...json }, body });
      }),
      params(),
    );
  });

  test('orders with at least one hostile field: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(badOrderBody, fc.option(fc.string({ maxLength: 300 })), async (body, idem) => {
        const headers: Record<string, string> = { ...auth(), ...json };
        if (idem !== null) headers['Idempotency-Key'] = idem;
        await expect4xx({ method: 'POST', path: '/orders', headers, body });
      }),
      params(),
    );
  });

  test('other encodings of a good-looking order (UTF-16, BOM, Latin-1, overlong UTF-8): 4xx', async () => {
    const order = `{"user":"${FUZZ_USER}","stockid":${SAIPA},"quantity":1,"note":"é"}`;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<[string, Uint8Array]>(
          ['utf16le', new Uint8Array(Buffer.from(order, 'utf16le'))],
          ['bom', new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(order)]))],
          ['latin1', new Uint8Array(Buffer.from(order, 'latin1'))],
          ['overlong', new Uint8Array(Buffer.from(order.replace('"user"', '"\xc0\xafuser"'), 'latin1'))],
        ),
        fc.nat({ max: 40 }),
        async ([, bytes], cut) => {
          const body = cut ? bytes.slice(0, Math.max(1, bytes.length - cut)) : bytes;
          await expect4xx({ method: 'POST', path: '/orders', headers: { ...auth(), ...json }, body });
        },
      ),
      { ...params(), numRuns: Math.min(RUNS, 60) },
    );
  });

  test('oversize bodies: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 4_097, max: 200_000 }),
        fc.constantFrom(' ', 'x', '{'),
        async (n, c) => {
          await expect4xx({
            method: 'POST',
            path: '/orders',
            headers: { ...auth(), ...json },
            body: c.repeat(n),
          });
        },
      ),
      { ...params(), numRuns: Math.min(RUNS, 40) },
    );
  });

  test('hostile Authorization headers, even with a valid order: 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          hostileText.map((s) => `Bearer ${s}`),
          fc.string({ minLength: 43, maxLength: 43 }).map((s) => `Bearer bourse_${s}`),
          fc.constant(`Bearer ${'x'.repeat(8000)}`),
          fc.constant(`Bearer ${userKeyText}x`),
          fc.constant(`Bearer ${userKeyText.slice(0, -1)}`),
          fc.constant(userKeyText),
        ),
        async (authorization) => {
          await expect4xx({
            method: 'POST',
            path: '/orders',
            headers: { Authorization: authorization, ...json },
            body: `{"user":"${FUZZ_USER}","stockid":${SAIPA},"quantity":1}`,
          });
        },
      ),
      params(),
    );
  });
});

describe('GET /orders/:id and /orders/:id/result', () => {
  test('hostile ids and wait values: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileText, fc.uuid(), fc.string({ maxLength: 60 })),
        fc.option(fc.oneof(hostileText, hostileNumberText)),
        fc.boolean(),
        async (id, wait, asOperator) => {
          const seg = enc(id);
          fc.pre(seg.length > 0);
          const path = wait === null ? `/orders/${seg}` : `/orders/${seg}/result?wait=${enc(wait)}`;
          await expect4xx({ method: 'GET', path, headers: asOperator ? bearer(opKey) : auth() });
        },
      ),
      params(),
    );
  });
});

describe('GET /stocks/:id/prices and /stocks/:id/price (public)', () => {
  test('hostile ids and from/to, with or without a key: 4xx', async () => {
    const time = fc.oneof(
      hostileText,
      hostileNumberText,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2025-10-08T06:00:00', '2025-13-40T99:99:99Z', '2025-10-08T06:00:00+99:99', 'now'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileText,
          hostileNumberText,
          fc.constant(SAIPA),
          fc.bigInt({ min: 10n ** 14n, max: 10n ** 17n - 1n }).map(String),
        ),
        fc.option(time),
        fc.option(time),
        fc.option(fc.tuple(hostileText, hostileText)),
        fc.boolean(),
        async (id, from, to, extra, withKey) => {
          const q = new URLSearchParams();
          if (from !== null) q.set('from', from);
          if (to !== null) q.set('to', to);
          if (extra !== null) q.set(extra[0], extra[1]);
          const path = `/stocks/${enc(id)}/prices${q.size ? `?${q.toString()}` : ''}`;
          // A real stock and a fair range is a 200: only the hostile cases count.
          fc.pre(!(id === SAIPA && from === null && to === null && extra === null));
          const res = await fetch(`${api.url}${path}`, { headers: withKey ? auth() : {} }).catch(
            () => undefined,
          );
          fc.pre(res !== undefined);
          cases++;
          const text = await res.text();
          if (res.status >= 500) throw new Error(`5xx: GET ${path} → ${res.status} ${text.slice(0, 300)}`);
          if (res.status >= 400) {
            const body = JSON.parse(text) as { error?: unknown; message?: unknown };
            if (typeof body.error !== 'string' || typeof body.message !== 'string') {
              throw new Error(`no clear message: GET ${path} → ${res.status} ${text.slice(0, 300)}`);
            }
          }
        },
      ),
      params(),
    );
  });
});

describe('admin endpoints', () => {
  const badId = fc
    .oneof(hostileText, fc.string({ maxLength: 80 }))
    .filter((s) => !/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(s) && s.length > 0);
  const badStockSeg = fc
    .oneof(hostileText, hostileNumberText)
    .filter((s) => !/^\d{15,17}$/.test(s) && s.length > 0);
  const badCredit = fc
    .oneof(anyJsonText, badQty)
    .map((v) => `{"credit":${v}}`)
    .filter((b) => !inRange(/^\{"credit":(.*)\}$/.exec(b)?.[1] ?? '', 0, 1e15));

  test('PUT /admin/users/:id with a bad id or a bad credit: 4xx, no user made', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), badId, badCredit, fc.boolean(), async (idBad, id, body, asUser) => {
        const path = `/admin/users/${enc(idBad ? id : 'fuzz-admin-target')}`;
        await expect4xx({
          method: 'PUT',
          path,
          headers: { ...(asUser ? auth() : bearer(opKey)), ...json },
          body,
        });
      }),
      params(),
    );
  });

  test('keys and watch list with hostile ids: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        badId,
        badStockSeg,
        fc.constantFrom('keys', 'put', 'delete'),
        async (id, stock, what) => {
          const req: Req =
            what === 'keys'
              ? { method: 'POST', path: `/admin/users/${enc(id)}/keys` }
              : { method: what.toUpperCase(), path: `/admin/watchlist/${enc(stock)}` };
          await expect4xx({ ...req, headers: bearer(opKey) });
        },
      ),
      params(),
    );
  });
});

describe('unknown routes and methods', () => {
  test('random paths and methods: 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.array(fc.oneof(hostileText, fc.constantFrom('orders', 'admin', 'users', 'BuyStock', 'result')), {
          maxLength: 4,
        }),
        async (method, segs) => {
          const path = `/${segs.map(enc).join('/')}`;
          fc.pre(
            ![
              '/',
              '/healthz',
              '/readyz',
              '/metrics',
              '/openapi.json',
              '/stocks',
              '/account',
              '/events',
            ].includes(path) &&
              method !== 'OPTIONS' &&
              // GET /orders lists the key's user's orders: a served route.
              !(method === 'GET' && path === '/orders'),
          );
          await expect4xx({ method, path, headers: auth() });
        },
      ),
      params(),
    );
  });
});

describe('after all of it', () => {
  test('the API still answers, and nothing was left behind: no workflow, no reservation, no key', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect(await userMoney(worker.redis, FUZZ_USER)).toEqual({ credit: CREDIT, reserved: 0 });
    expect(await worker.redis.keys(orderKey(FUZZ_USER, '*'))).toEqual([]);
    expect(await worker.redis.exists(userKey('fuzz-admin-target'))).toBe(0);
    // Every Redis key now was there before, except rate-limit windows.
    const added = (await worker.redis.keys('*')).filter((k) => !keysBefore.has(k) && !/:rate:\d+$/.test(k));
    expect(added).toEqual([]);
    // Visibility is eventually consistent: one good order, once visible, proves it has caught up; then
    // it must be the only order started since the fuzzing began.
    const ok = await http<{ orderId: string }>(`${api.url}/orders`, {
      json: { user: FUZZ_USER, stockid: SAIPA, quantity: 1 },
      headers: auth(),
    });
    expect(ok.status).toBe(201);
    await eventually('the good order visible', async () =>
      (await countOrders(api.deps.temporal, `OrderUser = "${FUZZ_USER}"`)) > 0 ? true : undefined,
    );
    expect(await countOrders(api.deps.temporal, `StartTime >= "${startedAt.toISOString()}"`)).toBe(1);
    expect(cases).toBeGreaterThan(RUNS);
  });
});
