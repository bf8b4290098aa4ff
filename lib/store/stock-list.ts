// The tradable stocks (configured STOCKS ∪ the watch list) with their names and latest ticks.
import { priceTickSchema, type PriceTick } from '../contracts/price-tick';
import type { Config } from '../infra/config';
import type { Redis } from '../infra/redis';
import { pipelineBySlot } from './cluster';
import { latestPriceKey, stockInfoKey } from './keys';
import { watchedStocks } from './watch-list';

export interface TradableStock {
  stockid: string;
  name?: string;
  tick?: PriceTick;
}

/** The name of each stock the store knows one for (one pipelined HGET per stock: each on its own slot). */
export async function stockNames(redis: Redis, stockIds: readonly string[]): Promise<Record<string, string>> {
  if (stockIds.length === 0) return {};
  const results = await pipelineBySlot(
    redis,
    stockIds.length,
    (i) => stockInfoKey(stockIds[i]),
    (p, i) => void p.hget(stockInfoKey(stockIds[i]), 'name'),
  );
  const out: Record<string, string> = {};
  stockIds.forEach((id, i) => {
    const [err, name] = results[i] ?? [];
    if (!err && typeof name === 'string') out[id] = name;
  });
  return out;
}

/** The latest tick of each stock (one pipelined GET each: every stock is its own slot). */
export async function latestTicks(
  redis: Redis,
  stockIds: readonly string[],
): Promise<Map<string, PriceTick | undefined>> {
  const results = await pipelineBySlot(
    redis,
    stockIds.length,
    (i) => latestPriceKey(stockIds[i]),
    (p, i) => void p.get(latestPriceKey(stockIds[i])),
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
