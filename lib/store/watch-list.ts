// The stocks the price fetcher follows: the configured STOCKS plus the Redis watch list set.
import type { Config } from '../infra/config';
import { WATCHLIST_KEY } from './keys';
import type { Redis } from '../infra/redis';

export async function watchedStocks(redis: Redis, cfg: Pick<Config, 'STOCKS'>): Promise<string[]> {
  const extra = await redis.smembers(WATCHLIST_KEY);
  return [...new Set([...cfg.STOCKS, ...extra])].sort();
}

/** The watch list's own entries (besides STOCKS), sorted. */
export const watchListEntries = async (redis: Redis): Promise<string[]> =>
  (await redis.smembers(WATCHLIST_KEY)).sort();

/** Adds a stock; answers whether it was new. */
export const watchStock = async (redis: Redis, stockId: string): Promise<boolean> =>
  (await redis.sadd(WATCHLIST_KEY, stockId)) === 1;

/** Removes a stock; answers whether it was there. */
export const unwatchStock = async (redis: Redis, stockId: string): Promise<boolean> =>
  (await redis.srem(WATCHLIST_KEY, stockId)) === 1;
