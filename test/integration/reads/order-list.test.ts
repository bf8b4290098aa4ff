// GET /orders, GET /account and GET /stocks on the real stack: orders placed through the API, decided by
// the test's verifier, listed from the read model the order-events consumer keeps.
import { stockInfoKey } from '../../../lib/store/keys';
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { startApi, type Api } from '../../support/app-harness';
import {
  authOf,
  eventually,
  http,
  newUser,
  operatorKey,
  bearer,
  putPrice,
  putUser,
  SAIPA,
  startOrderWorker,
  type OrderWorker,
} from '../../support/order-harness';
import { controlledVerifier, startReadModel, type ControlledVerifier } from '../../support/read-side';

jest.setTimeout(180_000);

interface View {
  orderId: string;
  status: string;
  phase: string;
  final: boolean;
  stockid: string;
}
interface Page {
  orders: View[];
  nextCursor?: string;
  field?: string;
}

const PRICE = 1_000;
let verifier: ControlledVerifier;
let worker: OrderWorker;
let api: Api;
let readModel: Awaited<ReturnType<typeof startReadModel>>;

beforeAll(async () => {
  verifier = controlledVerifier();
  worker = await startOrderWorker(verifier);
  readModel = await startReadModel();
  api = await startApi();
  await putPrice(worker.redis, SAIPA, PRICE);
  await worker.redis.hset(stockInfoKey(SAIPA), { name: 'سایپا' });
});

afterAll(async () => {
  await api?.close();
  await readModel?.stop();
  await worker?.stop();
});

const place = (user: string, quantity: number) =>
  http<View>(`${api.url}/orders`, {
    headers: authOf(user),
    json: { user, stockid: SAIPA, quantity },
  });
const list = (user: string, query = '', headers = authOf(user)) =>
  http<Page>(`${api.url}/orders${query}`, { headers });

describe('one user with denied, succeeded and failed orders', () => {
  const user = newUser('rule');
  const plan = ['ok', 'no', 'deny', 'ok', 'no', 'ok', 'deny'] as const;
  const placed: { orderId: string; status: string }[] = [];

  beforeAll(async () => {
    await putUser(worker.redis, user, 1_000_000);
    for (const [i, kind] of plan.entries()) {
      const r = await place(user, kind === 'deny' ? 2_000 : 10);
      expect(r.status).toBe(201);
      const { orderId } = r.body;
      if (i === 0) {
        // Listed while still open, with its current status.
        const open = await eventually('the open order listed', async () => {
          const o = (await list(user)).body.orders?.find((v) => v.orderId === orderId);
          return o?.phase === 'inProgress' ? o : undefined;
        });
        expect(open.status).toBe(ORDER_STATUS_TEXT.inProgress);
      }
      if (kind !== 'deny') verifier.decide(orderId, kind === 'ok');
      const final = await http<View>(`${api.url}/orders/${orderId}/result?wait=20`, {
        headers: authOf(user),
      });
      expect(final.body.final).toBe(true);
      placed.push({ orderId, status: final.body.status });
    }
    expect(placed.map((p) => p.status)).toEqual(
      plan.map((k) => ORDER_STATUS_TEXT[k === 'ok' ? 'succeeded' : k === 'no' ? 'failed' : 'denied']),
    );
  });

  const newestFirst = () => [...placed].reverse();

  test('GET /orders lists exactly those orders, newest first, each with its final status', async () => {
    const page = await eventually('every order final in the read model', async () => {
      const r = await list(user, '?limit=100');
      return r.body.orders.length === plan.length && r.body.orders.every((o) => o.final) ? r : undefined;
    });
    expect(page.status).toBe(200);
    expect(page.body.orders.map((o) => ({ orderId: o.orderId, status: o.status }))).toEqual(newestFirst());
    expect(page.body.nextCursor).toBeUndefined();
    // Each item is the view GET /orders/:id answers.
    const one = await http<View>(`${api.url}/orders/${placed[0].orderId}`, { headers: authOf(user) });
    expect(page.body.orders.at(-1)).toEqual(one.body);
  });

  test('paging with limit=2 visits each order once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await list(user, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.orders.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.orders.map((o) => o.orderId));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(newestFirst().map((p) => p.orderId));
    expect(pages).toBe(Math.ceil(plan.length / 2));
  });

  test('status= and stockid= filter', async () => {
    const ids = async (q: string) => (await list(user, q)).body.orders.map((o) => o.orderId);
    const of = (status: string) =>
      newestFirst()
        .filter((p) => p.status === status)
        .map((p) => p.orderId);
    expect(await ids('?status=succeeded')).toEqual(of(ORDER_STATUS_TEXT.succeeded));
    expect(await ids('?status=Success')).toEqual(of(ORDER_STATUS_TEXT.succeeded));
    expect(await ids('?status=Failure')).toEqual(of(ORDER_STATUS_TEXT.failed));
    expect(await ids('?status=denied')).toEqual(of(ORDER_STATUS_TEXT.denied));
    expect(await ids('?status=inProgress')).toEqual([]);
    expect(await ids(`?stockid=${SAIPA}`)).toHaveLength(plan.length);
    expect(await ids('?stockid=778253364357513')).toEqual([]);
    expect(await ids(`?status=Deny&stockid=${SAIPA}&limit=1`)).toEqual(
      of(ORDER_STATUS_TEXT.denied).slice(0, 1),
    );
  });

  test("another user's key sees none of them; an operator names the user", async () => {
    const other = newUser('rule');
    await putUser(worker.redis, other, 1_000);
    expect((await list(other)).body).toEqual({ orders: [] });
    const forbidden = await list(other, `?user=${user}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.field).toBe('user');
    const op = bearer(await operatorKey(worker.redis));
    expect((await list(user, `?user=${user}&limit=100`, op)).body.orders).toHaveLength(plan.length);
    const unnamed = await list(user, '', op);
    expect([unnamed.status, unnamed.body.field]).toEqual([403, 'user']);
  });

  test('bad input is a 400 naming the field', async () => {
    const bad = ['limit=0', 'limit=101', 'limit=x', 'cursor=%21%21', 'status=done', 'sort=asc'];
    for (const q of bad) {
      const r = await list(user, `?${q}`);
      expect({ q, status: r.status, field: r.body.field }).toEqual({
        q,
        status: 400,
        field: q.split('=')[0],
      });
    }
    // Well-formed, but no position this API gave out ("nope").
    const forged = await list(user, '?cursor=bm9wZQ');
    expect([forged.status, forged.body.field]).toEqual([422, 'cursor']);
  });

  test('GET /account after settlement matches the orders', async () => {
    const r = await http(`${api.url}/account`, { headers: authOf(user) });
    expect(r.status).toBe(200);
    const spent = 3 * 10 * PRICE;
    expect(r.body).toEqual({
      user,
      credit: 1_000_000 - spent,
      reserved: 0,
      available: 1_000_000 - spent,
      holdings: [
        expect.objectContaining({
          stockid: SAIPA,
          name: 'سایپا',
          quantity: 30,
          reserved: 0,
          costBasis: spent,
          averageCost: PRICE,
        }),
      ],
      // Every order is decided: none holds anything.
      openOrders: [],
      totals: expect.objectContaining({ costBasis: spent }),
    });
    const other = await http(`${api.url}/account?user=${newUser('rule')}`, { headers: authOf(user) });
    expect([other.status, other.body.field]).toEqual([403, 'user']);
    const op = bearer(await operatorKey(worker.redis));
    expect((await http(`${api.url}/account?user=${user}`, { headers: op })).body.credit).toBe(
      1_000_000 - spent,
    );
    expect((await http(`${api.url}/account?user=nobody-${user}`, { headers: op })).status).toBe(404);
  });
});

test('during a burst every GET /account satisfies available = credit − reserved, reserved ≥ 0', async () => {
  const user = newUser('conc');
  const credit = 200_000;
  await putUser(worker.redis, user, credit);
  await putPrice(worker.redis, SAIPA, PRICE);
  let reading = true;
  const reads: { credit: number; reserved: number; available: number }[] = [];
  const reader = (async () => {
    while (reading) {
      const r = await http<{ credit: number; reserved: number; available: number }>(`${api.url}/account`, {
        headers: authOf(user),
      });
      expect(r.status).toBe(200);
      reads.push(r.body);
    }
  })();
  // 30 orders of 10,000 against 200,000: some are denied; the rest succeed or fail by turns.
  const answers = await Promise.all(Array.from({ length: 30 }, () => place(user, 10)));
  const accepted = answers.filter((a) => a.body.phase === 'inProgress').map((a) => a.body.orderId);
  expect(accepted.length).toBeGreaterThan(0);
  expect(accepted.length).toBeLessThan(30);
  accepted.forEach((id, i) => setTimeout(() => verifier.decide(id, i % 2 === 0), i * 20));
  const finals = await Promise.all(
    accepted.map((id) => http<View>(`${api.url}/orders/${id}/result?wait=20`, { headers: authOf(user) })),
  );
  reading = false;
  await reader;
  expect(reads.length).toBeGreaterThan(5);
  for (const m of reads) {
    expect(m.available).toBe(m.credit - m.reserved);
    expect(m.reserved).toBeGreaterThanOrEqual(0);
    expect(m.credit).toBeGreaterThanOrEqual(m.reserved);
  }
  expect(reads.some((m) => m.reserved > 0)).toBe(true);
  const succeeded = finals.filter((f) => f.body.status === ORDER_STATUS_TEXT.succeeded).length;
  const end = await http(`${api.url}/account`, { headers: authOf(user) });
  expect(end.body).toMatchObject({ credit: credit - succeeded * 10 * PRICE, reserved: 0 });
});

test('GET /stocks lists the tradable stocks with names and latest prices, without a key', async () => {
  const r = await http<{ stocks: { stockid: string; name?: string; price?: number; minute?: string }[] }>(
    `${api.url}/stocks`,
  );
  expect(r.status).toBe(200);
  const saipa = r.body.stocks.find((s) => s.stockid === SAIPA);
  expect(saipa).toMatchObject({ stockid: SAIPA, name: 'سایپا', price: PRICE });
  expect(Date.parse(saipa!.minute!) % 60_000).toBe(0);
  expect(r.body.stocks.map((s) => s.stockid)).toEqual(expect.arrayContaining(api.deps.cfg.STOCKS));
});
