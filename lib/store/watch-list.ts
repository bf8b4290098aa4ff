// The stocks the price fetcher follows: the configured STOCKS plus the Redis watch list set.
import type { Config } from '../infra/config';
import { WATCHLIST_KEY } from './keys';
import type { Redis } from '../infra/redis';

export async function watchedStocks(redis: Redis, cfg: Pick<Config, 'STOCKS'>): Promise<string[]> {
  const extra = await redis.smembers(WATCHLIST_KEY);
  return [...new Set([...cfg.STOCKS, ...extra])].sort();
}
