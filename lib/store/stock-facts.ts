// What the store knows of a stock for trading: its latest tick, whether it is watched, whether it is known.
import type { Config } from '../infra/config';
import type { Redis } from '../infra/redis';
import type { PriceTick } from '../contracts/price-tick';
import { stockInfoKey, WATCHLIST_KEY } from './keys';
import { readLatestTick } from './price-history';

export interface StockFacts {
  stockId: string;
  watched: boolean;
  known: boolean;
  tick: PriceTick | undefined;
}

/** Reads a stock's facts in one round trip of independent reads. */
export async function readStockFacts(
  redis: Redis,
  cfg: Pick<Config, 'STOCKS'>,
  stockId: string,
): Promise<StockFacts> {
  const [tick, inWatchList, info] = await Promise.all([
    readLatestTick(redis, stockId),
    cfg.STOCKS.includes(stockId) ? Promise.resolve(1) : redis.sismember(WATCHLIST_KEY, stockId),
    redis.exists(stockInfoKey(stockId)),
  ]);
  return { stockId, tick, watched: inWatchList === 1, known: info === 1 || tick !== undefined };
}
