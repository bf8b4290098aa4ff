// Price routes: a stock's minute history and its latest price, read from the store.
import Router from '@koa/router';
import { notFound } from '../errors';
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
    const stockId = params.id;
    const fromGiven = query.from;
    const toGiven = query.to;
    const from = fromGiven ?? new Date((toGiven ?? new Date()).getTime() - DEFAULT_RANGE_MS);
    const asked = toGiven ?? (fromGiven ? new Date(from.getTime() + DEFAULT_RANGE_MS) : new Date());
    // A range longer than a week is cut to its first week, and the answer says so; from after to is
    // simply an empty range.
    const to =
      asked.getTime() - from.getTime() > MAX_RANGE_MS ? new Date(from.getTime() + MAX_RANGE_MS) : asked;
    const truncated = to < asked;
    const latest = await fromStore(() => store.latestTick(stockId), WHAT);
    if (!latest) throw notFound(`No prices recorded for stock ${stockId}`, 'id');
    const prices = from > to ? [] : await fromStore(() => store.priceHistory(stockId, from, to), WHAT);
    ctx.body = {
      stockId,
      from: from.toISOString(),
      to: to.toISOString(),
      ...(truncated ? { truncated: true } : {}),
      count: prices.length,
      prices,
    };
  });

  mount(router, deps, 'getLatestPrice', async (ctx, { params }) => {
    const stockId = params.id;
    const latest = await fromStore(() => store.latestTick(stockId), WHAT);
    if (!latest) throw notFound(`No prices recorded for stock ${stockId}`, 'id');
    ctx.body = latest;
  });

  return router;
}
