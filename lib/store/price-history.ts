// Reading the per-stock minute price history in Redis (the price consumer writes it).
import { latestPriceKey, priceHistoryKey, priceIndexKey } from './keys';
import { priceTickSchema, type PriceTick } from '../contracts/price-tick';
import type { Redis } from '../infra/redis';

/** The newest tick of a stock, or undefined if no price has been recorded yet. */
export async function readLatestTick(redis: Redis, stockId: string): Promise<PriceTick | undefined> {
  const raw = await redis.get(latestPriceKey(stockId));
  return raw === null ? undefined : priceTickSchema.parse(JSON.parse(raw));
}

/** The ticks of a stock with minutes in [from, to] (inclusive), oldest first. */
export async function readPriceHistory(
  redis: Redis,
  stockId: string,
  from: Date,
  to: Date,
): Promise<PriceTick[]> {
  const minutes = await redis.zrangebyscore(priceIndexKey(stockId), from.getTime(), to.getTime());
  if (minutes.length === 0) return [];
  const raws = await redis.hmget(priceHistoryKey(stockId), ...minutes);
  return raws.filter((r): r is string => r !== null).map((r) => priceTickSchema.parse(JSON.parse(r)));
}
