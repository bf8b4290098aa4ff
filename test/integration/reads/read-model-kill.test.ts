// The real order-events consumer process (workers/order-events-consumer.ts), SIGKILLed in the middle of
// its work and restarted: the read model ends identical to one `npm run orders:rebuild` makes from the
// topic in an empty Redis database — replays, duplicates and out-of-order events included. Unusable
// messages go to order-events.dlq with their reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import {
  ORDER_STATUS_TEXT,
  type OrderEvent,
  type OrderPhase,
  type OrderState,
} from '../../../lib/contracts/orders';
import { createKafka, TOPICS } from '../../../lib/infra/kafka';
import { createRedis, type Redis } from '../../../lib/infra/redis';
import { ORDER_PHASES } from '../../../lib/orders/read-model/apply';
import {
  orderEventStreamKey,
  orderListKey,
  orderPhaseListKey,
  orderSeqsKey,
  orderStockListKey,
  orderViewsKey,
} from '../../../lib/store/keys';
import { ROOT } from '../../../scripts/stack/local-stack';
import { header, readDlq, sleep, waitFor } from '../../support/price-helpers';
import { testConfig, testEnv } from '../../support/test-stack';

jest.setTimeout(300_000);

const cfg = testConfig();
const USERS = Array.from({ length: 100 }, (_, i) => `kill-${i}-${randomUUID().slice(0, 6)}`);
const ORDERS_PER_USER = 100;
const STOCKS = ['778253364357513', '44891482026867833'];
const REBUILT_DB = 5;
const FINAL: OrderPhase[] = ['succeeded', 'failed', 'denied'];

function state(orderId: string, user: string, i: number, phase: OrderPhase): OrderState {
  const receivedAt = new Date(Date.UTC(2026, 0, 1) + i * 1_000).toISOString();
  return {
    orderId,
    user,
    stockId: STOCKS[i % 2],
    quantity: 1 + i,
    phase,
    status: ORDER_STATUS_TEXT[phase],
    ...(phase === 'pending' ? {} : { price: 1_000, amount: 1_000 * (1 + i), priceMinute: receivedAt }),
    receivedAt,
    updatedAt: receivedAt,
  };
}

/** Each order's events, in the order they are sent: some replayed, some out of order. */
function eventsOf(user: string, i: number): OrderEvent[] {
  const orderId = randomUUID();
  const pending = state(orderId, user, i, 'pending');
  const ev = (seq: number, before: OrderState, after: OrderState): OrderEvent => ({
    eventId: `${orderId}:${seq}`,
    orderId,
    seq,
    before,
    after,
  });
  if (i % 4 === 0) return [ev(1, pending, state(orderId, user, i, 'denied'))];
  const progress = state(orderId, user, i, 'inProgress');
  const final = state(orderId, user, i, i % 4 === 1 ? 'succeeded' : 'failed');
  const [a, b] = [ev(1, pending, progress), ev(2, progress, final)];
  // A replay of the first after the second; or the second arriving before the first.
  return i % 4 === 2 ? [a, b, a, b] : i % 8 === 3 ? [b, a] : [a, b];
}

function startConsumer(groupId: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'workers', 'order-events-consumer.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...testEnv(),
      ORDER_EVENTS_CONSUMER_GROUP: groupId,
      ORDER_EVENTS_CONSUMER_SESSION_TIMEOUT: '6s',
      ORDER_EVENTS_CONSUMER_OPS_PORT: String(19_104 + cfg.TEST_STACK_PORT_OFFSET),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((done) =>
    child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done()),
  );

/** Everything the read model holds for a user, in a comparable form. */
async function dump(redis: Redis, user: string) {
  const stream = await redis.xrange(orderEventStreamKey(user), '-', '+');
  return {
    views: await redis.hgetall(orderViewsKey(user)),
    seqs: await redis.hgetall(orderSeqsKey(user)),
    list: await redis.zrange(orderListKey(user), 0, -1),
    phases: await Promise.all(ORDER_PHASES.map((p) => redis.zrange(orderPhaseListKey(user, p), 0, -1))),
    stocks: await Promise.all(STOCKS.map((s) => redis.zrange(orderStockListKey(user, s), 0, -1))),
    events: stream.map(([, f]) => f[1]).sort(),
  };
}

async function finalOrders(redis: Redis): Promise<number> {
  const p = redis.pipeline();
  for (const u of USERS) for (const ph of FINAL) p.zcard(orderPhaseListKey(u, ph));
  return ((await p.exec()) ?? []).reduce((n, [, c]) => n + Number(c), 0);
}

test('SIGKILL mid-stream, restart: the read model equals one rebuilt from the topic', async () => {
  const kafka = createKafka(cfg);
  const live = createRedis(cfg);
  const rebuilt = createRedis(testConfig({ REDIS_URL: `${cfg.REDIS_URL}/${REBUILT_DB}` }));
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const children: ChildProcess[] = [];
  const total = USERS.length * ORDERS_PER_USER;
  try {
    await producer.connect();
    for (const user of USERS) {
      const messages = [];
      for (let i = 0; i < ORDERS_PER_USER; i++) {
        for (const e of eventsOf(user, i)) messages.push({ key: e.orderId, value: JSON.stringify(e) });
      }
      await producer.send({ topic: TOPICS.orderEvents, messages });
    }
    const poisonKey = randomUUID();
    await producer.send({
      topic: TOPICS.orderEvents,
      messages: [
        { key: poisonKey, value: 'not json' },
        { key: poisonKey, value: JSON.stringify({ eventId: 'x', orderId: poisonKey, seq: 1 }) },
      ],
    });

    const groupId = `test-kill-${randomUUID()}`;
    const first = startConsumer(groupId);
    children.push(first);
    await waitFor('the first writes', async () => (await finalOrders(live)) > 0, 90_000, 10);
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await finalOrders(live);
    expect(atKill).toBeLessThan(total); // it really died in the middle
    await sleep(300);
    expect(await finalOrders(live)).toBe(atKill);

    children.push(startConsumer(groupId));
    await waitFor('every order final', async () => (await finalOrders(live)) === total, 120_000, 200);
    process.stderr.write(`[kill test] killed with ${atKill}/${total} orders final\n`);

    const dead = await readDlq(
      kafka,
      (m) => m.key?.toString() === poisonKey,
      2,
      30_000,
      TOPICS.orderEventsDlq,
    );
    expect(dead.map((m) => header(m, 'dlq-reason'))).toEqual([
      expect.stringMatching(/^value is not JSON/),
      expect.stringMatching(/^not an order event/),
    ]);

    await rebuilt.flushdb();
    const rebuild = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts', 'ops', 'rebuild-orders.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, ...testEnv(), REDIS_URL: `${cfg.REDIS_URL}/${REBUILT_DB}` },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(rebuild);
    await exited(rebuild);
    expect(rebuild.exitCode).toBe(0);

    for (const user of USERS) {
      const [a, b] = await Promise.all([dump(live, user), dump(rebuilt, user)]);
      expect(a).toEqual(b);
      expect(Object.keys(a.views)).toHaveLength(ORDERS_PER_USER);
      // Never backwards: every order at its last seq, in a final phase.
      expect(a.phases[ORDER_PHASES.indexOf('inProgress')]).toEqual([]);
    }
    const sample = await dump(live, USERS[0]);
    expect(new Set(sample.events).size).toBe(sample.events.length); // no event delivered twice
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await producer.disconnect();
    await rebuilt.flushdb().catch(() => undefined);
    live.disconnect();
    rebuilt.disconnect();
  }
});
