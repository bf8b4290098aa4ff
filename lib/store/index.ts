// The store as the API sees it: every Redis read and write a route needs, closed over one client, so
// routes never hold a Redis client themselves.
import type { Config } from '../infra/config';
import type { Redis } from '../infra/redis';
import { issueApiKey } from './api-keys';
import { adjustCredit, readMoney, setCredit } from './credit';
import { readLatestTick, readPriceHistory } from './price-history';
import { unwatchStock, watchListEntries, watchStock } from './watch-list';

export function createStore(redis: Redis, cfg: Pick<Config, 'STOCKS'>) {
  return {
    readMoney: (user: string) => readMoney(redis, user),
    setCredit: (user: string, credit: number) => setCredit(redis, user, credit),
    adjustCredit: (a: Parameters<typeof adjustCredit>[1]) => adjustCredit(redis, a),
    issueUserKey: (user: string) => issueApiKey(redis, { id: user, role: 'user' }),
    watchList: () => watchListEntries(redis),
    watch: (stockId: string) => watchStock(redis, stockId),
    unwatch: (stockId: string) => unwatchStock(redis, stockId),
    configuredStocks: () => cfg.STOCKS,
    latestTick: (stockId: string) => readLatestTick(redis, stockId),
    priceHistory: (stockId: string, from: Date, to: Date) => readPriceHistory(redis, stockId, from, to),
  };
}

export type Store = ReturnType<typeof createStore>;
