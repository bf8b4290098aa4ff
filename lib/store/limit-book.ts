// The open limit orders of each stock, by side: a sorted set per (stock, side) on the stock's hash tag,
// order id scored by its limit. An order lists itself once its reservation is made and unlists itself
// when it leaves Open (filled, canceled, expired); the price consumer finds the orders a fresh tick
// crosses with one range read per side.
import type { OrderSide } from '../contracts/orders';
import type { Redis } from '../infra/redis';
import { limitBookKey } from './keys';
import { moneyWrite } from './money-write';

// Through moneyWrite: on a cluster a listing counts only once a replica holds it (a listing lost in a
// failover would leave an order no tick could wake). Both are idempotent: ZADD and ZREM of the same member.
const LIST_SCRIPT = `redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) return 1`;
const UNLIST_SCRIPT = `redis.call('ZREM', KEYS[1], ARGV[1]) return 1`;

export interface LimitListing {
  orderId: string;
  stockId: string;
  side: OrderSide;
}

/** Lists an open limit order under its stock and side at its limit price. */
export async function listLimitOrder(redis: Redis, o: LimitListing & { limitPrice: number }): Promise<void> {
  await moneyWrite(redis, LIST_SCRIPT, [limitBookKey(o.stockId, o.side)], [o.orderId, String(o.limitPrice)]);
}

/** Takes an order off its stock's book (it is no longer Open). */
export async function unlistLimitOrder(redis: Redis, o: LimitListing): Promise<void> {
  await moneyWrite(redis, UNLIST_SCRIPT, [limitBookKey(o.stockId, o.side)], [o.orderId]);
}

/** The open limit orders `price` crosses: buys with limit ≥ price, sells with limit ≤ price. One pipeline. */
export async function crossedLimitOrders(
  redis: Redis,
  stockId: string,
  price: number,
): Promise<{ buy: string[]; sell: string[] }> {
  const [buy, sell] = await Promise.all([
    redis.zrangebyscore(limitBookKey(stockId, 'buy'), price, '+inf'),
    redis.zrangebyscore(limitBookKey(stockId, 'sell'), '-inf', price),
  ]);
  return { buy, sell };
}
