// The bench's limit-order scenario: N open limit buys on one new stock at limits spread below its
// price, then one fresh tick that crosses half of them, published to Kafka `stock-prices` as the
// schedule does. Figures: the time from publishing that tick until every crossed order has left Open
// (its fill recorded in its Redis hash: In Progress), the cores it took (cpu.ts), that none of the
// uncrossed moved, and the Redis memory an open order holds (its book entry; used_memory per order).
import type { Config } from '../../lib/infra/config';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { connectKafkaSender } from '../../lib/infra/kafka-sender';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { ORDER_STATUS_TEXT } from '../../lib/contracts/orders';
import { flatTick } from '../../lib/contracts/price-tick';
import { createPricePublisher } from '../../lib/prices/publisher';
import { simulatedTick } from '../../lib/prices/sources/simulated';
import { limitBookKey, orderKey, WATCHLIST_KEY } from '../../lib/store/keys';
import { putPrice } from '../../test/support/accounts';
import { waitFor } from '../wait';
import { benchKeys, orderApi, say } from './bench-lib';
import { coresText, withCpu } from './cpu';
import { BENCH_ENV } from './options';
import { newUser, untilAccepting } from './order-load';
import { stockIds } from './prices-common';

export const LIMIT_WAKE_GOAL_SECONDS = 10;
const API_URL = `http://127.0.0.1:${BENCH_ENV.API_PORT}`;
const IN_FLIGHT = 16;

/**
 * `n` whole-rial limits spread evenly over [low, high], ascending. Below the band's floor (5 %) and
 * clear of the simulated price's minute-to-minute moves, so only the bench's tick crosses them.
 */
export function spreadLimits(n: number, low: number, high: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [low];
  return Array.from({ length: n }, (_, i) => low + Math.floor((i * (high - low)) / (n - 1)));
}

/** The tick price that crosses half of `limits` (buys: limit ≥ price), and how many it crosses. */
export function halfCrossing(limits: readonly number[]): { price: number; crossed: number } {
  const sorted = [...limits].sort((a, b) => a - b);
  const price = sorted[Math.floor(sorted.length / 2)];
  return { price, crossed: sorted.filter((l) => l >= price).length };
}

/** Bytes per item, one decimal. */
export const perItem = (bytes: number, items: number) =>
  items > 0 ? Math.round((bytes / items) * 10) / 10 : NaN;

/** How many of `orderIds` (the user's) have their fill recorded. */
async function countFilled(redis: Redis, user: string, orderIds: readonly string[]): Promise<number> {
  const p = redis.pipeline();
  for (const id of orderIds) p.hexists(orderKey(user, id), 'filled');
  return ((await p.exec()) ?? []).filter(([, v]) => v === 1).length;
}

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

async function statusOf(user: string, orderId: string): Promise<string> {
  const res = await fetch(`${API_URL}/orders/${orderId}`, {
    headers: { authorization: `Bearer ${benchKeys.get(user)}` },
  });
  const body = (await res.json()) as { status?: string; error?: string };
  return body.status ?? `${res.status} ${body.error}`;
}

/** Runs `job` on each item, `IN_FLIGHT` at once. */
async function eachAtOnce<T, R>(items: readonly T[], job: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await job(items[i]);
    }),
  );
  return out;
}

export async function benchLimitOrders(cfg: Config, opts: { orders: number }) {
  const redis = createRedis(cfg);
  const user = await newUser(cfg, 'limits');
  await untilAccepting(orderApi(API_URL), user);
  const [stock] = stockIds(1, '83');
  const market = simulatedTick(stock, new Date()).price;
  await redis.sadd(WATCHLIST_KEY, stock);
  await putPrice(redis, stock, market);
  const limits = spreadLimits(opts.orders, Math.ceil(market * 0.96), Math.floor(market * 0.985));
  const book = limitBookKey(stock, 'buy');
  try {
    const memoryBefore = await usedMemory(redis);
    const placedAt = Date.now();
    let queued = 0;
    const orderIds = await eachAtOnce(limits, async (limitPrice) => {
      const res = await fetch(`${API_URL}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${benchKeys.get(user)}` },
        body: JSON.stringify({
          user,
          stockid: stock,
          quantity: 1,
          type: 'limit',
          limitPrice,
          timeInForce: 'gtc',
        }),
      });
      const body = (await res.json()) as { orderId: string; status: string };
      // 201 Open, or 202: recorded on the burst intake and checked at its turn (Open then).
      if (res.status === 201 && body.status === ORDER_STATUS_TEXT.open) return body.orderId;
      if (res.status === 202) {
        queued += 1;
        const waiting: string[] = [ORDER_STATUS_TEXT.queued, ORDER_STATUS_TEXT.pending];
        const status = await waitFor(
          `queued limit order ${body.orderId} to be checked`,
          async () => {
            const now = await statusOf(user, body.orderId);
            return waiting.includes(now) ? undefined : now;
          },
          300_000,
          100,
        );
        if (status === ORDER_STATUS_TEXT.open) return body.orderId;
        throw new Error(`a queued limit order was checked as ${status}`);
      }
      throw new Error(`a limit order answered ${res.status} ${JSON.stringify(body)}`);
    });
    const placeSeconds = (Date.now() - placedAt) / 1000;
    say(
      `limits: ${opts.orders} open limit buys placed in ${placeSeconds.toFixed(1)} s (${queued} queued first)`,
    );
    const bookBytes = (await redis.memory('USAGE', book)) ?? 0;
    const memoryAfter = await usedMemory(redis);

    const { price, crossed } = halfCrossing(limits);
    const crossedIds = orderIds.filter((_, i) => limits[i] >= price);
    const sender = await connectKafkaSender(createKafka(cfg));
    const { value: seconds, cores } = await withCpu(async () => {
      const sent = performance.now();
      await createPricePublisher(sender, TOPICS.prices).publish([flatTick(stock, price)]);
      // The fill step marks the order's hash `filled` as it makes the order In Progress.
      await waitFor(
        `the ${crossed} crossed orders to be filled`,
        async () => (await countFilled(redis, user, crossedIds)) === crossedIds.length,
        300_000,
        100,
      );
      return (performance.now() - sent) / 1000;
    });
    await sender.close();
    // Then, through the API: every crossed order past Open, every other one still Open and listed.
    const uncrossedIds = orderIds.filter((_, i) => limits[i] < price);
    const crossedStatus = await eachAtOnce(crossedIds, (id) => statusOf(user, id));
    const uncrossedStatus = await eachAtOnce(uncrossedIds, (id) => statusOf(user, id));
    const pastOpen = [ORDER_STATUS_TEXT.inProgress, ORDER_STATUS_TEXT.succeeded, ORDER_STATUS_TEXT.failed];
    const notPast = crossedStatus.filter((s) => !pastOpen.includes(s as (typeof pastOpen)[number]));
    const stillOpen = notPast.length;
    const notPastStatuses: Record<string, number> = {};
    for (const s of notPast) notPastStatuses[s] = (notPastStatuses[s] ?? 0) + 1;
    const moved = uncrossedStatus.filter((s) => s !== ORDER_STATUS_TEXT.open).length;
    const listed = await redis.zcard(book);
    const cpuSeconds = Math.round(Object.values(cores).reduce((a, b) => a + b, 0) * seconds * 10) / 10;
    const figures = {
      orders: opts.orders,
      placeSeconds,
      placedPerSecond: Math.round((opts.orders / placeSeconds) * 10) / 10,
      queued,
      tickPrice: price,
      crossed,
      wakeSeconds: Math.round(seconds * 100) / 100,
      cpuCores: cores,
      cpuSeconds,
      crossedNotInProgress: stillOpen,
      crossedNotInProgressStatuses: notPastStatuses,
      uncrossedMoved: moved,
      uncrossedListed: listed,
      bookBytesPerOrder: perItem(bookBytes, opts.orders),
      usedMemoryBytesPerOrder: perItem(memoryAfter - memoryBefore, opts.orders),
    };
    say(
      `limits: tick at ${price} crossed ${crossed}: all past Open after ${figures.wakeSeconds} s ` +
        `(${coresText(cores)}); uncrossed moved ${moved}, listed ${listed}/${uncrossedIds.length}`,
    );
    return figures;
  } finally {
    await redis.srem(WATCHLIST_KEY, stock);
    redis.disconnect();
  }
}
