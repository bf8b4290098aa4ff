// What the store knows of a stock for trading: its latest tick, whether it is watched, whether it is known.
import type { Config } from '../infra/config';
import type { Redis } from '../infra/redis';
import type { PriceTick } from '../contracts/price-tick';
import { stockInfoKey, WATCHLIST_KEY } from './keys';
import { readSurvivingFailover } from './cluster';
import { readLatestTick } from './price-history';

export interface StockFacts {
  stockId: string;
  watched: boolean;
  known: boolean;
  tick: PriceTick | undefined;
}

/**
 * Reads a stock's facts in one round trip of independent reads; on a cluster, from the stock's replica
 * when its master does not answer at once (readSurvivingFailover): an order's precheck is not held up by
 * that master's failover.
 */
export async function readStockFacts(
  redis: Redis,
  cfg: Pick<Config, 'STOCKS'>,
  stockId: string,
): Promise<StockFacts> {
  const [tick, inWatchList, info] = await Promise.all([
    readSurvivingFailover(redis, (r) => readLatestTick(r, stockId)),
    cfg.STOCKS.includes(stockId)
      ? Promise.resolve(1)
      : readSurvivingFailover(redis, (r) => r.sismember(WATCHLIST_KEY, stockId)),
    readSurvivingFailover(redis, (r) => r.exists(stockInfoKey(stockId))),
  ]);
  return { stockId, tick, watched: inWatchList === 1, known: info === 1 || tick !== undefined };
}
