// Price routes: a stock's minute history and its latest price, read from Redis.
import Router from '@koa/router';
import { readLatestTick, readPriceHistory } from '../../lib/store/price-history';
import { STOCK_ID } from '../../lib/contracts/price-tick';
import type { Redis } from '../../lib/infra/redis';
import { badRequest, notFound, unavailable } from '../errors';

/** The longest range one request may read: a week of minutes (~10,000 ticks). */
const MAX_RANGE_MS = 7 * 86_400_000;
const DEFAULT_RANGE_MS = 3_600_000;

function stockIdParam(id: string): string {
  if (!STOCK_ID.test(id))
    throw badRequest('id', `id must be a 15–17 digit TSE instrument code, got ${JSON.stringify(id)}`);
  return id;
}

function timeParam(field: 'from' | 'to', raw: unknown): Date | undefined {
  if (raw === undefined) return undefined;
  if (
    typeof raw !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)
  ) {
    throw badRequest(field, `${field} must be one ISO 8601 time with a zone, such as 2025-10-08T06:00:00Z`);
  }
  const t = new Date(raw);
  if (Number.isNaN(t.getTime())) throw badRequest(field, `${field} is not a valid time: ${raw}`);
  return t;
}

/** Redis down or not yet connected is a 503 the client can retry, not a 500. */
async function fromRedis<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if ((err as Error).name === 'ReplyError') throw err;
    throw unavailable(`The price store is unavailable: ${(err as Error).message}`);
  }
}

export function pricesRouter(deps: { redis: Redis }): Router {
  const router = new Router();

  /** GET /stocks/:id/prices?from=&to= — minute history, oldest first; default the last hour. */
  router.get('/stocks/:id/prices', async (ctx) => {
    const stockId = stockIdParam(ctx.params.id!);
    for (const name of Object.keys(ctx.query)) {
      if (name !== 'from' && name !== 'to')
        throw badRequest(name, `unknown query parameter ${name}; use from and to`);
    }
    const toGiven = timeParam('to', ctx.query.to);
    const fromGiven = timeParam('from', ctx.query.from);
    const to = toGiven ?? (fromGiven ? new Date(fromGiven.getTime() + DEFAULT_RANGE_MS) : new Date());
    const from = fromGiven ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
    if (from > to) throw badRequest('from', 'from must not be after to');
    if (to.getTime() - from.getTime() > MAX_RANGE_MS)
      throw badRequest('to', 'from–to may span at most 7 days');
    const latest = await fromRedis(() => readLatestTick(deps.redis, stockId));
    if (!latest) throw notFound(`No prices recorded for stock ${stockId}`, 'id');
    const prices = await fromRedis(() => readPriceHistory(deps.redis, stockId, from, to));
    ctx.body = { stockId, from: from.toISOString(), to: to.toISOString(), count: prices.length, prices };
  });

  /** GET /stocks/:id/price — the latest tick (the one the order credit check uses). */
  router.get('/stocks/:id/price', async (ctx) => {
    const stockId = stockIdParam(ctx.params.id!);
    const latest = await fromRedis(() => readLatestTick(deps.redis, stockId));
    if (!latest) throw notFound(`No prices recorded for stock ${stockId}`, 'id');
    ctx.body = latest;
  });

  return router;
}
