// Price routes: a stock's minute history and its latest price, read from the store.
import Router from '@koa/router';
import { badRequest, notFound } from '../errors';
import type { RouteDeps } from './deps';
import { fromStore, mount } from './mount';

/** The longest range one request may read: a week of minutes (~10,000 ticks). */
const MAX_RANGE_MS = 7 * 86_400_000;
const DEFAULT_RANGE_MS = 3_600_000;
const WHAT = 'the price store';

export function createPricesRouter(deps: RouteDeps): Router {
  const { store } = deps;
  const router = new Router();

  mount(router, deps, 'getPriceHistory', async (ctx, { params, query }) => {
    const stockId = params.id as string;
    const fromGiven = query.from as Date | undefined;
    const toGiven = query.to as Date | undefined;
    const to = toGiven ?? (fromGiven ? new Date(fromGiven.getTime() + DEFAULT_RANGE_MS) : new Date());
    const from = fromGiven ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
    if (from > to) throw badRequest('from', 'from must not be after to');
    if (to.getTime() - from.getTime() > MAX_RANGE_MS)
      throw badRequest('to', 'from–to may span at most 7 days');
    const latest = await fromStore(() => store.latestTick(stockId), WHAT);
    if (!latest) throw notFound(`No prices recorded for stock ${stockId}`, 'id');
    const prices = await fromStore(() => store.priceHistory(stockId, from, to), WHAT);
    ctx.body = { stockId, from: from.toISOString(), to: to.toISOString(), count: prices.length, prices };
  });

  mount(router, deps, 'getLatestPrice', async (ctx, { params }) => {
    const stockId = params.id as string;
    const latest = await fromStore(() => store.latestTick(stockId), WHAT);
    if (!latest) throw notFound(`No prices recorded for stock ${stockId}`, 'id');
    ctx.body = latest;
  });

  return router;
}
