// Reading the per-stock minute price history in Redis (the price consumer writes it).
import { latestPriceKey } from './keys';
import { priceTickSchema, type PriceTick } from './price-tick';
import type { Redis } from './redis';

/** The newest tick of a stock, or undefined if no price has been recorded yet. */
export async function readLatestTick(redis: Redis, stockId: string): Promise<PriceTick | undefined> {
  const raw = await redis.get(latestPriceKey(stockId));
  return raw === null ? undefined : priceTickSchema.parse(JSON.parse(raw));
}
