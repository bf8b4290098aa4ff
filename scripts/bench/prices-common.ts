// What the price scenarios of `npm run bench` share: simulated stock ids, the watch list, the count
// of (stock, minute) entries stored in Redis, and the bench's gap of minutes.
import type { Config } from '../../lib/infra/config';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { priceIndexKey, WATCHLIST_KEY } from '../../lib/store/keys';

export const MINUTE = 60_000;

export const stockIds = (n: number, prefix: string) =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}${String(Date.now() % 1e8).padStart(8, '0')}${String(i).padStart(6, '0')}`,
  );

export async function countStored(redis: Redis, ids: string[], from: number, to: number): Promise<number> {
  const p = redis.pipeline();
  for (const id of ids) p.zcount(priceIndexKey(id), from, to);
  return ((await p.exec()) ?? []).reduce((n, [, c]) => n + Number(c), 0);
}

/** `count` new simulated stock ids, added to the watch list the live schedule fetches. */
export async function watchNewStocks(cfg: Config, count: number): Promise<string[]> {
  const stocks = stockIds(count, '82');
  const redis = createRedis(cfg);
  await redis.sadd(WATCHLIST_KEY, ...stocks);
  redis.disconnect();
  return stocks;
}

/** Takes stocks off the watch list again (so the next figure fetches only its own new stocks). */
export async function unwatchStocks(cfg: Config, stocks: readonly string[]): Promise<void> {
  if (stocks.length === 0) return;
  const redis = createRedis(cfg);
  await redis.srem(WATCHLIST_KEY, ...stocks);
  redis.disconnect();
}

/** The bench's gap: `hours` of whole minutes ending two minutes ago, both ends included. */
export function gapOf(hours: number): { start: number; end: number; minutes: number } {
  const end = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE;
  const start = end - hours * 60 * MINUTE + MINUTE;
  return { start, end, minutes: (end - start) / MINUTE + 1 };
}
