// The read side over HTTP: GET /orders (the order read model, a page at a time), GET /account and
// GET /stocks, and GET /events (api/routes/events.ts). Reads go through the store; only HTTP here.
import Router from '@koa/router';
import type Koa from 'koa';
import { decodeOrderCursor, encodeOrderCursor } from '../../lib/contracts/http/reads';
import { principalOf } from '../auth';
import { HttpError, notFound } from '../errors';
import type { RouteDeps } from './deps';
import { createEventsRouter } from './events';
import { fromStore, mount } from './mount';

const DEFAULT_PAGE = 20;

/** Whose data a request reads: a user key its own (user= may only name itself), an operator key user=. */
export function subjectOf(ctx: Koa.Context, asked: string | undefined): string {
  const p = principalOf(ctx);
  if (p.role === 'operator') {
    if (!asked) {
      throw new HttpError(
        403,
        'user_required',
        'an operator key must name the user to read: add user=<id>',
        'user',
      );
    }
    return asked;
  }
  if (asked !== undefined && asked !== p.id) {
    throw new HttpError(
      403,
      'forbidden',
      `this API key belongs to "${p.id}"; it cannot read "${asked}"`,
      'user',
    );
  }
  return p.id;
}

export function createReadsRouter(deps: RouteDeps): Router {
  const { store } = deps;
  const router = new Router();

  mount(router, deps, 'listOrders', async (ctx, { query }) => {
    const user = subjectOf(ctx, query.user);
    const cursor = query.cursor;
    const after = cursor === undefined ? undefined : decodeOrderCursor(cursor);
    if (cursor !== undefined && after === undefined) {
      throw new HttpError(
        422,
        'invalid_cursor',
        'the cursor is not one this API gave out: use a page\'s "nextCursor"',
        'cursor',
      );
    }
    const page = await fromStore(() =>
      store.orderPage(user, {
        phase: query.status,
        stockId: query.stockid,
        side: query.side,
        type: query.type,
        limit: query.limit ?? DEFAULT_PAGE,
        after,
      }),
    );
    ctx.body = { orders: page.orders, ...(page.next ? { nextCursor: encodeOrderCursor(page.next) } : {}) };
  });

  mount(router, deps, 'getAccount', async (ctx, { query }) => {
    const user = subjectOf(ctx, query.user);
    const account = await fromStore(() => store.account(user));
    if (!account) throw notFound(`no user "${user}"`, 'user');
    ctx.body = account;
  });

  mount(router, deps, 'listStocks', async (ctx) => {
    const stocks = await fromStore(() => store.tradableStocks(), 'the price store');
    ctx.body = {
      stocks: stocks.map((s) => ({
        stockid: s.stockid,
        ...(s.name ? { name: s.name } : {}),
        ...(s.tick ? { price: s.tick.price, minute: s.tick.minute } : {}),
      })),
    };
  });

  router.use(createEventsRouter(deps).routes());
  return router;
}
