// The store as the API sees it: every Redis read and write a route needs, closed over one client, so
// routes never hold a Redis client themselves.
import type { Config } from '../infra/config';
import { createLogger } from '../infra/logger';
import { createPriceTicker } from './price-ticker';
import type { Redis } from '../infra/redis';
import { readAccount } from './account';
import { issueApiKey } from './api-keys';
import { readMoney } from './credit';
import { adjustCredit, setCredit } from './operator-credit';
import { openOrderEventFeed } from './order-event-feed';
import { readOrderPage, type OrderListQuery } from './order-list';
import { readLatestTick, readPriceHistory } from './price-history';
import { tradableStocks } from './stock-list';
import { unwatchStock, watchListEntries, watchStock } from './watch-list';

export function createStore(redis: Redis, cfg: Pick<Config, 'STOCKS' | 'SSE_PRICE_POLL' | 'LOG_LEVEL'>) {
  // One reader of new ticks per store (per API process), polling only while someone listens.
  const ticker = createPriceTicker(redis, cfg, createLogger('price-ticker', cfg.LOG_LEVEL));
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
    orderPage: (user: string, q: OrderListQuery) => readOrderPage(redis, user, q),
    account: (user: string) => readAccount(redis, user),
    tradableStocks: () => tradableStocks(redis, cfg),
    /** A feed with its own Redis connection: close it when done. */
    openOrderEventFeed: (user: string) => openOrderEventFeed(redis, user),
    /** Calls `listener` with each new tick of a watched stock; returns how to stop. */
    onNewTick: (listener: Parameters<typeof ticker.subscribe>[0]) => ticker.subscribe(listener),
  };
}

export type Store = ReturnType<typeof createStore>;
