// The store on a real Redis Cluster (three masters, three replicas of redis-server, started here from
// scripts/stack/redis-cluster.ts in a temporary folder): every script and read works with its keys on
// one slot, pipelines over many stocks or users are split per slot, SCAN covers every master; and
// money writes survive the failover of the master that acknowledged them, because they wait for a
// replica (lib/store/money-write.ts). The lag case shows what that WAIT buys: with the replica paused
// and behind, a reservation acknowledged without WAIT is lost in the failover, and one with WAIT is
// never acknowledged (and its retry after the failover reserves exactly once).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORDER_STATUS_TEXT, type OrderEvent } from '../../../lib/contracts/orders';
import { flatTick } from '../../../lib/contracts/price-tick';
import { createRedis, isCluster, replicaReader, type Redis } from '../../../lib/infra/redis';
import { applyOrderEvents } from '../../../lib/orders/read-model/apply';
import { readAccount } from '../../../lib/store/account';
import { scanKeys } from '../../../lib/store/cluster';
import {
  orderMoneyState,
  readMoney,
  finishOrder,
  ReplicaAckError,
  reserveOrderCredit,
} from '../../../lib/store/credit';
import { adjustCredit, setCredit } from '../../../lib/store/operator-credit';
import {
  holdingsKey,
  latestPriceKey,
  orderKey,
  priceHistoryKey,
  stockInfoKey,
  userKey,
} from '../../../lib/store/keys';
import { openOrderEventFeed } from '../../../lib/store/order-event-feed';
import { readOrderPage } from '../../../lib/store/order-list';
import { readLatestTick, readPriceHistory, writeTicks } from '../../../lib/store/price-history';
import { readStockFacts } from '../../../lib/store/stock-facts';
import { latestTicks, tradableStocks } from '../../../lib/store/stock-list';
import {
  killRedisNode,
  redisClusterRoles,
  redisClusterSpec,
  redisClusterUrl,
  redisSlotMaster,
  startRedisCluster,
  startRedisNode,
  stopRedisCluster,
  waitClusterOk,
  type RedisClusterSpec,
} from '../../../scripts/stack/redis-cluster';
import { testLog } from '../../support/test-stack';
import { waitFor } from '../../../scripts/wait';

jest.setTimeout(300_000);

/** Clear of every stack's ports (16379 + offsets of 100, Kafka's 19092 + ...): this test's own cluster. */
const BASE_PORT = 21_400;
const STOCKS = ['778253364357513', '44891482026867833', '46348559193224090', '35425587644337450'];

let dir: string;
let spec: RedisClusterSpec;
let redis: Redis;
/** One node's own connection: CLUSTER KEYSLOT answers the same on every node. */
let node: Redis;
const clients: Redis[] = [];
const log = (m: string) => testLog(`redis-cluster: ${m}`);

function client(overrides: { REDIS_MONEY_REPLICAS?: number; REDIS_MONEY_WAIT_TIMEOUT?: number } = {}): Redis {
  const c = createRedis({ REDIS_URL: redisClusterUrl(spec), ...overrides });
  clients.push(c);
  return c;
}

/** The master serving a key's slot now, and its replica. */
async function nodesOf(key: string): Promise<{ master: number; replica: number }> {
  const slot = await node.cluster('KEYSLOT', key);
  const master = (await redisSlotMaster(spec, slot))!;
  const replica = (await redisClusterRoles(spec)).find(
    (r) => r.role === 'replica' && r.masterPort === master,
  );
  if (!replica) throw new Error(`master ${master} has no replica`);
  return { master, replica: replica.port };
}

/** SIGKILLs a master and waits for its replica's promotion; answers the milliseconds it took. */
async function failOver(master: number): Promise<number> {
  const killed = Date.now();
  await killRedisNode(spec, master, 'SIGKILL');
  await waitClusterOk(spec, 60_000);
  const ms = Date.now() - killed;
  log(`master ${master} killed; its slots served again after ${ms} ms`);
  return ms;
}

const order = (user: string, amount: number) => ({
  user,
  orderId: randomUUID(),
  amount,
  stockId: STOCKS[0],
  quantity: amount / 1000,
  price: 1000,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bourse-redis-cluster-'));
  spec = redisClusterSpec(dir, BASE_PORT);
  await startRedisCluster(spec, log);
  redis = client();
  node = createRedis({ REDIS_URL: `redis://127.0.0.1:${BASE_PORT + 1}`, REDIS_CLUSTER: 'off' });
  clients.push(node);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  if (spec) await stopRedisCluster(spec, log);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('REDIS_URL naming several nodes opens the cluster client; money writes then wait for one replica', () => {
  expect(isCluster(redis)).toBe(true);
  const one = createRedis({ REDIS_URL: `redis://127.0.0.1:${BASE_PORT}`, REDIS_CLUSTER: 'off' });
  clients.push(one);
  expect(isCluster(one)).toBe(false);
});

describe('the store on the cluster', () => {
  test('every key of one user or one stock is on one slot, and the stocks span several masters', async () => {
    const slot = (k: string) => node.cluster('KEYSLOT', k);
    const u = 'user1';
    const userKeys = [userKey(u), holdingsKey(u), orderKey(u, randomUUID())];
    expect(new Set(await Promise.all(userKeys.map(slot))).size).toBe(1);
    const masters = new Set<number>();
    for (const id of STOCKS) {
      expect(await slot(priceHistoryKey(id))).toBe(await slot(stockInfoKey(id)));
      masters.add((await redisSlotMaster(spec, await slot(priceHistoryKey(id))))!);
    }
    // Otherwise the split of multi-stock pipelines below would prove nothing.
    expect(masters.size).toBeGreaterThan(1);
  });

  test('credit: set, reserve, deny, settle, release, adjust (with its replay), account', async () => {
    const user = `u-${randomUUID()}`;
    expect(await setCredit(redis, user, 100_000)).toEqual({
      ok: true,
      money: { credit: 100_000, reserved: 0 },
    });
    const a = order(user, 30_000);
    const b = order(user, 50_000);
    const c = order(user, 40_000);
    expect((await reserveOrderCredit(redis, a)).state).toBe('reserved');
    expect((await reserveOrderCredit(redis, b)).state).toBe('reserved');
    expect((await reserveOrderCredit(redis, c)).state).toBe('denied');
    // A replay answers the first outcome and reserves nothing more.
    expect(await reserveOrderCredit(redis, a)).toMatchObject({ state: 'reserved', amount: 30_000 });
    expect(await readMoney(redis, user)).toEqual({ credit: 100_000, reserved: 80_000 });
    const settle = { user, orderId: a.orderId, to: 'settled', phase: 'succeeded' } as const;
    expect((await finishOrder(redis, settle)).state).toBe('settled');
    expect((await finishOrder(redis, settle)).state).toBe('settled');
    expect(
      (await finishOrder(redis, { user, orderId: b.orderId, to: 'released', phase: 'failed' })).state,
    ).toBe('released');
    expect(await orderMoneyState(redis, user, c.orderId)).toBe('denied');
    const adjust = { user, delta: 5_000, maxCredit: 10 ** 12, by: 'op', idempotencyKey: randomUUID() };
    const first = await adjustCredit(redis, adjust);
    expect(first).toMatchObject({ outcome: 'applied', money: { credit: 75_000, reserved: 0 } });
    expect(await adjustCredit(redis, adjust)).toMatchObject({
      outcome: 'replayed',
      money: { credit: 75_000 },
    });
    expect(await readAccount(redis, user)).toEqual({
      user,
      credit: 75_000,
      reserved: 0,
      available: 75_000,
      holdings: [{ stockid: STOCKS[0], quantity: 30, reserved: 0, costBasis: 30_000, averageCost: 1000 }],
      // No price stored for the stock: no value, and the totals count only holdings with a price.
      totals: { costBasis: 30_000, marketValue: 0, unrealizedPnl: 0 },
      openOrders: [], // no undecided order holds anything
    });
  });

  test('price history: one write over four stocks (several masters), then every read', async () => {
    const minute = (m: number) => new Date(Date.UTC(2026, 0, 3, 9, m)).toISOString();
    const ticks = STOCKS.flatMap((stockId, s) =>
      [0, 1, 2].map((m) => flatTick(stockId, 1000 * (s + 1) + m, new Date(minute(m)))),
    );
    const written = await writeTicks(redis, ticks);
    expect([...written.values()]).toEqual([null, null, null, null]);
    for (const [s, id] of STOCKS.entries()) {
      expect(
        (await readPriceHistory(redis, id, new Date(minute(0)), new Date(minute(2)))).map((t) => t.price),
      ).toEqual([0, 1, 2].map((m) => 1000 * (s + 1) + m));
      expect((await readLatestTick(redis, id))?.minute).toBe(minute(2));
    }
    expect([...(await latestTicks(redis, STOCKS)).values()].map((t) => t?.price)).toEqual([
      1002, 2002, 3002, 4002,
    ]);
    await redis.hset(stockInfoKey(STOCKS[1]), { name: 'سایپا' });
    const tradable = await tradableStocks(redis, { STOCKS });
    expect(tradable.map((t) => [t.stockid, t.name, t.tick?.price])).toEqual([
      [STOCKS[3], undefined, 4002],
      [STOCKS[1], 'سایپا', 2002],
      [STOCKS[2], undefined, 3002],
      [STOCKS[0], undefined, 1002],
    ]);
  });

  test('order read model: one batch over many users, their pages, the event feed, SCAN of every master', async () => {
    const users = Array.from({ length: 12 }, () => `u-${randomUUID()}`);
    const event = (user: string, i: number): OrderEvent => {
      const orderId = randomUUID();
      const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
      const after = {
        orderId,
        user,
        stockId: STOCKS[i % 2],
        quantity: 1,
        phase: 'succeeded' as const,
        status: ORDER_STATUS_TEXT.succeeded,
        receivedAt: at,
        updatedAt: at,
      };
      return { eventId: `${orderId}:1`, orderId, seq: 1, before: { ...after, phase: 'pending' }, after };
    };
    const events = users.flatMap((u) => [event(u, 0), event(u, 1)]);
    expect(await applyOrderEvents(redis, events, 100)).toEqual(events.map(() => null));
    for (const u of users) {
      const page = await readOrderPage(redis, u, { limit: 10 });
      expect(page.orders.map((o) => o.orderId)).toEqual(
        events
          .filter((e) => e.after.user === u)
          .map((e) => e.orderId)
          .reverse(),
      );
    }
    const feed = openOrderEventFeed(redis, users[0]);
    try {
      const entries = await feed.read('0-0', 1000);
      expect(entries.map((e) => e.eventId)).toEqual(events.slice(0, 2).map((e) => e.eventId));
    } finally {
      feed.close();
    }
    const viewKeys = await scanKeys(redis, '{user:u-*}:order-views');
    expect(viewKeys).toEqual(expect.arrayContaining(users.map((u) => `{user:${u}}:order-views`)));
    // They live on several masters, so one node's SCAN would not have found them all.
    const masters = new Set(
      await Promise.all(users.map(async (u) => (await nodesOf(`{user:${u}}:order-views`)).master)),
    );
    expect(masters.size).toBeGreaterThan(1);
  });
});

describe('money writes and failover', () => {
  test('the master holding a user slot is killed right after a reservation is acknowledged: it survives', async () => {
    const user = `u-${randomUUID()}`;
    await setCredit(redis, user, 1_000_000);
    const { master, replica } = await nodesOf(userKey(user));
    const o = order(user, 250_000);
    expect((await reserveOrderCredit(redis, o)).state).toBe('reserved');
    await failOver(master);
    expect((await redisClusterRoles(spec)).find((r) => r.port === replica)?.role).toBe('master');
    expect(await orderMoneyState(redis, user, o.orderId)).toBe('reserved');
    expect(await readMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 250_000 });
    await startRedisNode(spec, master, log);
    expect((await redisClusterRoles(spec)).find((r) => r.port === master)).toMatchObject({
      role: 'replica',
      masterPort: replica,
    });
  });

  test('with the replica paused and behind: without WAIT an acknowledged reservation is lost, with WAIT none is acknowledged', async () => {
    const user = `u-${randomUUID()}`;
    await setCredit(redis, user, 1_000_000);
    const { master, replica } = await nodesOf(userKey(user));
    const noWait = client({ REDIS_MONEY_REPLICAS: 0 });
    const refused = order(user, 200_000);
    const withWait = client({ REDIS_MONEY_WAIT_TIMEOUT: 500 });
    await killRedisNode(spec, replica, 'SIGSTOP');
    try {
      // 48 MB of other writes on the master first: more than the kernel's socket buffers hold, so what
      // follows stays in the master's own replication buffer while the replica is paused.
      const filler = 'x'.repeat(4 * 1024 * 1024);
      for (let i = 0; i < 12; i++) await noWait.set(`{user:${user}}:filler:${i}`, filler);
      const lost = order(user, 100_000);
      expect((await reserveOrderCredit(noWait, lost)).state).toBe('reserved');
      const error = await reserveOrderCredit(withWait, refused).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReplicaAckError);
      expect((error as ReplicaAckError).acked).toBe(0);
      await killRedisNode(spec, master, 'SIGKILL');
    } finally {
      await killRedisNode(spec, replica, 'SIGCONT');
    }
    await waitClusterOk(spec, 60_000);
    expect((await redisClusterRoles(spec)).find((r) => r.port === replica)?.role).toBe('master');
    // The reservation acknowledged without WAIT is gone: the promoted replica never had it.
    expect(await readMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 0 });
    // Until the old master is back as its replica, the promoted master has none: money writes on its
    // slots are refused (ReplicaAckError), never acknowledged unreplicated.
    await expect(reserveOrderCredit(withWait, refused)).rejects.toBeInstanceOf(ReplicaAckError);
    await startRedisNode(spec, master, log);
    // The one refused is retried, as the activity's retry policy does: reserved once, however often.
    expect((await reserveOrderCredit(withWait, refused)).state).toBe('reserved');
    expect((await reserveOrderCredit(withWait, refused)).state).toBe('reserved');
    expect(await readMoney(redis, user)).toEqual({ credit: 1_000_000, reserved: 200_000 });
  });
});

describe('reads during a failover', () => {
  test("a stock's facts are read from its replica while its master is down, before the promotion", async () => {
    const c = client();
    const stockId = STOCKS[1];
    const tick = flatTick(stockId, 4_321);
    await writeTicks(c, [tick]);
    await c.set(stockInfoKey(stockId), JSON.stringify({ name: 'test' }));
    const { master, replica } = await nodesOf(latestPriceKey(stockId));
    // The replica has the tick (WAIT would say so for a money write; here: ask it).
    await waitFor(
      'the replica to have the tick',
      async () => {
        const r = createRedis({ REDIS_URL: `redis://127.0.0.1:${replica}`, REDIS_CLUSTER: 'off' });
        try {
          await r.call('READONLY');
          return (await r.get(latestPriceKey(stockId))) !== null;
        } finally {
          r.disconnect();
        }
      },
      10_000,
    );
    await killRedisNode(spec, master, 'SIGKILL');
    try {
      const facts = await readStockFacts(c, { STOCKS: [stockId] }, stockId);
      // Answered while the replica is still a replica: nothing waited for the election.
      const roleThen = (await redisClusterRoles(spec)).find((r) => r.port === replica)?.role;
      expect(roleThen).toBe('replica');
      expect(facts).toMatchObject({
        stockId,
        known: true,
        watched: true,
        tick: { price: 4_321, minute: tick.minute },
      });
    } finally {
      await waitClusterOk(spec, 60_000);
      await startRedisNode(spec, master, log);
    }
    // The replica reader is the client's: closed with it.
    await c.quit();
    const reader = isCluster(c) ? replicaReader(c) : undefined;
    // Every connection of it closed ('close': its pool drained; 'end' once it gave up reconnecting).
    await waitFor(
      'the replica reader to close',
      async () => ['close', 'end'].includes(reader?.status ?? ''),
      10_000,
    );
  });
});
