// The tradable stocks (configured STOCKS ∪ the watch list) with their names and latest ticks.
import { priceTickSchema, type PriceTick } from '../contracts/price-tick';
import type { Config } from '../infra/config';
import type { Redis } from '../infra/redis';
import { stockNames } from './account';
import { pipelineBySlot } from './cluster';
import { latestPriceKey } from './keys';
import { watchedStocks } from './watch-list';

export interface TradableStock {
  stockid: string;
  name?: string;
  tick?: PriceTick;
}

/** The latest tick of each stock (one pipelined GET each: every stock is its own slot). */
export async function latestTicks(
  redis: Redis,
  stockIds: readonly string[],
): Promise<Map<string, PriceTick | undefined>> {
  const results = await pipelineBySlot(
    redis,
    stockIds.length,
    (i) => latestPriceKey(stockIds[i]!),
    (p, i) => void p.get(latestPriceKey(stockIds[i]!)),
  );
  return new Map(
    stockIds.map((id, i) => {
      const [err, raw] = results[i] ?? [];
      if (err) throw err;
      return [id, typeof raw === 'string' ? priceTickSchema.parse(JSON.parse(raw)) : undefined];
    }),
  );
}

export async function tradableStocks(redis: Redis, cfg: Pick<Config, 'STOCKS'>): Promise<TradableStock[]> {
  const ids = await watchedStocks(redis, cfg);
  const [names, ticks] = await Promise.all([stockNames(redis, ids), latestTicks(redis, ids)]);
  return ids.map((stockid) => ({
    stockid,
    ...(names[stockid] ? { name: names[stockid] } : {}),
    ...(ticks.get(stockid) ? { tick: ticks.get(stockid) } : {}),
  }));
}
