// Administration with an operator key: users' credit (set, or adjusted as a recorded event), users'
// API keys, the watch list. credit ≥ reserved ≥ 0 holds whatever an operator does.
import Router from '@koa/router';
import { MAX_CREDIT } from '../../lib/contracts/http/admin';
import type { Money } from '../../lib/store/credit';
import { principalOf } from '../auth';
import { HttpError, notFound } from '../errors';
import type { RouteDeps } from './deps';
import { fromStore, mount } from './mount';

const moneyView = (user: string, m: Money) => ({
  user,
  credit: m.credit,
  reserved: m.reserved,
  available: m.credit - m.reserved,
});

const belowReserved = (reserved: number, wanted: number) =>
  new HttpError(
    409,
    'credit_below_reserved',
    `credit ${wanted} would be below the ${reserved} rials open orders hold reserved; wait for them to settle or set at least ${reserved}`,
    'credit',
    {},
    { reserved },
  );

export function createAdminRouter(deps: RouteDeps): Router {
  const { log, store } = deps;
  const router = new Router();

  mount(router, deps, 'loadUserCredit', async (ctx, { params, body }) => {
    const user = params.id;
    const { credit } = body;
    const r = await fromStore(() => store.setCredit(user, credit));
    if (!r.ok) throw belowReserved(r.reserved, credit);
    log.info('user credit loaded', { user, credit, by: principalOf(ctx).id });
    ctx.body = moneyView(user, r.money);
  });

  mount(router, deps, 'adjustUserCredit', async (ctx, { params, body, headers }) => {
    const user = params.id;
    const { delta } = body;
    if (delta === 0)
      throw new HttpError(422, 'zero_delta', '"delta" must not be 0: nothing to adjust', 'delta');
    const by = principalOf(ctx).id;
    const idempotencyKey = headers['idempotency-key'];
    const r = await fromStore(() =>
      store.adjustCredit({ user, delta, maxCredit: MAX_CREDIT, by, idempotencyKey }),
    );
    switch (r.outcome) {
      case 'unknown_user':
        throw notFound(`no user "${user}"; load its credit first`, 'id');
      case 'below_reserved':
        throw belowReserved(r.reserved, r.credit + delta);
      case 'above_max':
        throw new HttpError(
          409,
          'credit_above_max',
          `credit ${r.credit} + ${delta} would exceed ${MAX_CREDIT}`,
          'delta',
        );
      case 'key_reused':
        throw new HttpError(
          422,
          'idempotency_key_reused',
          `Idempotency-Key already applied a delta of ${r.delta}; use a new key for another adjustment`,
          'Idempotency-Key',
        );
    }
    if (r.outcome === 'applied') log.info('user credit adjusted', { user, delta, by, eventId: r.eventId });
    ctx.body = {
      ...moneyView(user, r.money),
      event: { id: r.eventId, delta, by, at: r.at, ...(idempotencyKey ? { idempotencyKey } : {}) },
      replayed: r.outcome === 'replayed',
    };
  });

  mount(router, deps, 'issueUserKey', async (ctx, { params }) => {
    const user = params.id;
    if (!(await fromStore(() => store.readMoney(user)))) {
      throw notFound(`no user "${user}"; load its credit first`, 'id');
    }
    const key = await fromStore(() => store.issueUserKey(user));
    log.info('API key issued', { user, by: principalOf(ctx).id });
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { user, key, note: 'shown once; only its hash is stored' };
  });

  mount(router, deps, 'getWatchList', async (ctx) => {
    ctx.body = { stocks: await fromStore(() => store.watchList()) };
  });

  mount(router, deps, 'watchStock', async (ctx, { params }) => {
    const stockId = params.stockid;
    const added = await fromStore(() => store.watch(stockId));
    log.info('watch list changed', { stockId, added, by: principalOf(ctx).id });
    ctx.status = added ? 201 : 200;
    ctx.body = { stockid: stockId, watched: true };
  });

  mount(router, deps, 'unwatchStock', async (ctx, { params }) => {
    const stockId = params.stockid;
    if (!(await fromStore(() => store.unwatch(stockId)))) {
      throw notFound(`stock ${stockId} is not on the watch list`, 'stockid');
    }
    log.info('watch list changed', { stockId, removed: true, by: principalOf(ctx).id });
    ctx.body = { stockid: stockId, watched: false };
  });

  return router;
}
