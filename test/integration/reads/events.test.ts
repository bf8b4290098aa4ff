// GET /events on the real stack: two API processes' worth of apps, orders placed through one and seen
// live on the other, the delay from the decision to the event, Last-Event-ID resume, price ticks,
// heartbeats, and a client that leaves stops its Redis reads.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { ORDER_STATUS_TEXT, type OrderEvent } from '../../../lib/contracts/orders';
import { applyOrderEvents } from '../../../lib/orders/read-model/apply';
import { startApi, type Api } from '../../support/app-harness';
import {
  authOf,
  eventually,
  http,
  newUser,
  putPrice,
  putUser,
  SAIPA,
  startOrderWorker,
  type OrderWorker,
} from '../../support/order-harness';
import {
  controlledVerifier,
  openSse,
  percentile,
  startReadModel,
  type ControlledVerifier,
  type SseClient,
} from '../../support/read-side';
import { testConfig, testLog } from '../../support/test-stack';

jest.setTimeout(240_000);

const cfg = testConfig({ SSE_PRICE_POLL: '200ms', SSE_HEARTBEAT: '500ms' });
const PRICE = 1_000;
let verifier: ControlledVerifier;
let worker: OrderWorker;
let readModel: Awaited<ReturnType<typeof startReadModel>>;
let placing: Api;
let watching: Api;
const clients: SseClient[] = [];

beforeAll(async () => {
  verifier = controlledVerifier();
  worker = await startOrderWorker(verifier, cfg);
  readModel = await startReadModel(cfg);
  [placing, watching] = await Promise.all([startApi(cfg), startApi(cfg)]);
});

afterAll(async () => {
  clients.forEach((c) => c.close());
  await Promise.all([placing?.close(), watching?.close()]);
  await readModel?.stop();
  await worker?.stop();
});

const sse = async (user: string, extra: Record<string, string> = {}, api = watching) => {
  const c = await openSse(api.url, { ...authOf(user), ...extra });
  clients.push(c);
  return c;
};
const place = async (user: string, quantity = 1) => {
  await putPrice(worker.redis, SAIPA, PRICE);
  const r = await http<{ orderId: string; phase: string }>(`${placing.url}/orders`, {
    headers: authOf(user),
    json: { user, stockid: SAIPA, quantity },
  });
  expect(r.status).toBe(201);
  return r.body;
};
const orderEvent = (orderId: string, phase: string) => (e: { event: string; data: string }) =>
  e.event === 'order' &&
  e.data.includes(orderId) &&
  (JSON.parse(e.data) as { phase: string }).phase === phase;

test('a client on one API sees In Progress, then the final status, of orders placed through the other', async () => {
  const user = newUser('ok');
  await putUser(worker.redis, user, 1_000_000_000);
  const client = await sse(user);
  expect(client.status).toBe(200);
  const delays: number[] = [];
  const sinceClose: number[] = [];
  for (let i = 0; i < 25; i++) {
    const { orderId } = await place(user);
    const progress = await client.next(orderEvent(orderId, 'inProgress'));
    expect(JSON.parse(progress.data)).toMatchObject({ orderId, status: ORDER_STATUS_TEXT.inProgress });
    expect(progress.id).toBe(`${orderId}:1`);
    verifier.decide(orderId, i % 5 !== 4);
    const final = await client.next((e) => orderEvent(orderId, i % 5 !== 4 ? 'succeeded' : 'failed')(e));
    expect(final.id).toBe(`${orderId}:2`);
    delays.push(final.at - verifier.decidedAt.get(orderId)!);
    const handle = placing.deps.temporal.workflow.getHandle(`buy-order-${orderId}`);
    await handle.result();
    const closed = await handle.describe();
    sinceClose.push(final.at - (closed.closeTime?.getTime() ?? NaN));
  }
  const fmt = (v: number[]) => `p50 ${percentile(v, 50)} ms, p99 ${percentile(v, 99)} ms`;
  testLog(`SSE delay, verifier's answer → event at the client: ${fmt(delays)}`);
  testLog(`SSE delay, workflow close → event at the client (negative: before the close): ${fmt(sinceClose)}`);
  expect(percentile(delays, 50)).toBeLessThan(100);
  expect(percentile(sinceClose, 99)).toBeLessThan(250);
  // Every order event of the user, each once.
  const ids = client.events.filter((e) => e.event === 'order').map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toHaveLength(50);
});

test('reconnecting with Last-Event-ID delivers exactly the missed events', async () => {
  const user = newUser('ok');
  await putUser(worker.redis, user, 1_000_000_000);
  const first = await sse(user);
  const a = await place(user);
  verifier.decide(a.orderId, true);
  const seen = await first.next(orderEvent(a.orderId, 'succeeded'));
  first.close();

  const missed: string[] = [];
  for (const verified of [true, false]) {
    const { orderId } = await place(user);
    verifier.decide(orderId, verified);
    missed.push(`${orderId}:1`, `${orderId}:2`);
  }
  const denied = await place(user, 10_000_000);
  expect(denied.phase).toBe('denied');
  missed.push(`${denied.orderId}:1`);
  // All of them in the read model before the reconnect.
  await eventually('the missed events stored', async () => {
    const r = await http<{ orders: { final: boolean }[] }>(`${watching.url}/orders?limit=4`, {
      headers: authOf(user),
    });
    return r.body.orders.length === 4 && r.body.orders.every((o) => o.final) ? true : undefined;
  });

  const again = await sse(user, { 'Last-Event-ID': seen.id! }, placing);
  const got = () => again.events.filter((e) => e.event === 'order').map((e) => e.id!);
  await eventually(
    'the missed events',
    async () => (got().length >= missed.length ? true : undefined),
    10_000,
  );
  await new Promise((r) => setTimeout(r, 500));
  // Exactly those (orders interleave in the stream; each order's own events stay in seq order).
  expect([...got()].sort()).toEqual([...missed].sort());
  for (const id of missed.filter((m) => m.endsWith(':2'))) {
    expect(got().indexOf(id)).toBeGreaterThan(got().indexOf(id.replace(/:2$/, ':1')));
  }

  const lost = await sse(user, { 'Last-Event-ID': 'not-an-event-we-hold' });
  const reset = await lost.next((e) => e.event === 'reset');
  expect(lost.events.indexOf(reset)).toBe(0);
});

test('a new price tick of a watched stock arrives as event: price; heartbeats keep the line alive', async () => {
  const user = newUser('ok');
  await putUser(worker.redis, user, 1_000);
  const client = await sse(user);
  await new Promise((r) => setTimeout(r, 600)); // the ticker's first look sets what is already known
  const next = new Date(Math.floor(Date.now() / 60_000 + 1) * 60_000);
  await putPrice(worker.redis, SAIPA, 4_321, next); // what the price consumer does with a newer minute
  const e = await client.next((x) => x.event === 'price' && x.data.includes(next.toISOString()));
  expect(JSON.parse(e.data)).toMatchObject({ stockId: SAIPA, price: 4_321, minute: next.toISOString() });
  expect(e.id).toBeUndefined();
  await eventually('a heartbeat', async () => (client.comments.includes('ping') ? true : undefined), 3_000);
});

test('a client that leaves releases its Redis connection; bad Last-Event-ID and keys are 4xx', async () => {
  const user = newUser('ok');
  await putUser(worker.redis, user, 1_000);
  const connections = async () =>
    ((await worker.redis.client('LIST')) as string).split('\n').filter(Boolean).length;
  const before = await connections();
  const many = await Promise.all(Array.from({ length: 5 }, () => sse(user)));
  await eventually('five more connections', async () =>
    (await connections()) >= before + 5 ? true : undefined,
  );
  many.forEach((c) => c.close());
  await eventually('the connections closed', async () =>
    (await connections()) <= before ? true : undefined,
  );

  const long = await http(`${watching.url}/events`, {
    headers: { ...authOf(user), 'Last-Event-ID': 'x'.repeat(201) },
  });
  expect([long.status, long.body.field]).toEqual([400, 'Last-Event-Id']);
  const none = await http(`${watching.url}/events`);
  expect(none.status).toBe(401);
});

test('a client that stops reading is dropped once SSE_BUFFER_BYTES wait for it', async () => {
  const small = await startApi(testConfig({ SSE_BUFFER_BYTES: '65536' }));
  try {
    const user = newUser('ok');
    const key = await putUser(worker.redis, user, 1_000);
    const connections = async () =>
      ((await worker.redis.client('LIST')) as string).split('\n').filter(Boolean).length;
    const before = await connections();
    const socket = connect(Number(new URL(small.url).port), '127.0.0.1');
    socket.pause(); // never reads
    socket.write(`GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`);
    await eventually('its feed connection', async () => ((await connections()) > before ? true : undefined));
    // ~40 MB of order events: far beyond what the kernel's socket buffers take.
    for (let i = 0; i < 100; i++) {
      const events: OrderEvent[] = Array.from({ length: 1_000 }, () => {
        const orderId = randomUUID();
        const at = new Date().toISOString();
        const after = {
          orderId,
          user,
          stockId: SAIPA,
          quantity: 1,
          phase: 'failed' as const,
          status: ORDER_STATUS_TEXT.failed,
          reason: 'x'.repeat(200),
          receivedAt: at,
          updatedAt: at,
        };
        return { eventId: `${orderId}:1`, orderId, seq: 1, before: after, after };
      });
      await applyOrderEvents(worker.redis, events, 1_000);
      if ((await connections()) <= before) break;
    }
    await eventually('the stream dropped', async () => ((await connections()) <= before ? true : undefined));
    socket.destroy();
  } finally {
    await small.close();
  }
});
