// Administration with an operator key: load a user's credit, issue a user's API key, edit the watch list.
import Router from '@koa/router';
import { issueApiKey } from '../../lib/store/api-keys';
import type { Config } from '../../lib/infra/config';
import { userKey, WATCHLIST_KEY } from '../../lib/store/keys';
import type { Logger } from '../../lib/infra/logger';
import type { Redis } from '../../lib/infra/redis';
import { authenticate, principalOf, requireRole } from '../auth';
import { badRequest, HttpError } from '../errors';
import { jsonTypeOf, JsonNumber, type JsonValue } from '../json-body';
import { readJsonBody } from '../read-body';
import { STOCK_ID, USER_ID } from './orders';

export interface AdminRoutesDeps {
  cfg: Config;
  log: Logger;
  redis: Redis;
}

/** Largest credit an operator may load: keeps every sum of rials an exact integer. */
export const MAX_CREDIT = 1_000_000_000_000_000; // 10^15 rials

const redisDown = () =>
  new HttpError(503, 'unavailable', 'Redis is unavailable', undefined, { 'Retry-After': '5' });

export function createAdminRouter({ cfg, log, redis }: AdminRoutesDeps): Router {
  const router = new Router({ prefix: '/admin' });
  const guard = [authenticate(cfg, redis), requireRole('operator')] as const;

  router.put('/users/:id', ...guard, async (ctx) => {
    const user = userParam(ctx.params.id);
    const body = await readJsonBody(ctx, 1024);
    const credit = creditOf(body);
    try {
      // Credit is set; what orders hold reserved stays as it is.
      await redis
        .multi()
        .hset(userKey(user), 'credit', String(credit))
        .hsetnx(userKey(user), 'reserved', '0')
        .exec();
      const h = await redis.hgetall(userKey(user));
      log.info('user credit loaded', { user, credit, by: principalOf(ctx).id });
      ctx.body = { user, credit: Number(h.credit), reserved: Number(h.reserved) };
    } catch {
      throw redisDown();
    }
  });

  router.post('/users/:id/keys', ...guard, async (ctx) => {
    const user = userParam(ctx.params.id);
    try {
      if (!(await redis.exists(userKey(user)))) {
        throw new HttpError(404, 'not_found', `no user "${user}"; load its credit first`, 'id');
      }
      const key = await issueApiKey(redis, { id: user, role: 'user' });
      log.info('API key issued', { user, by: principalOf(ctx).id });
      ctx.status = 201;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { user, key, note: 'shown once; only its hash is stored' };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw redisDown();
    }
  });

  router.get('/watchlist', ...guard, async (ctx) => {
    try {
      ctx.body = { stocks: (await redis.smembers(WATCHLIST_KEY)).sort() };
    } catch {
      throw redisDown();
    }
  });

  router.put('/watchlist/:stockid', ...guard, async (ctx) => {
    const stockId = stockParam(ctx.params.stockid);
    try {
      const added = await redis.sadd(WATCHLIST_KEY, stockId);
      log.info('watch list changed', { stockId, added: added === 1, by: principalOf(ctx).id });
      ctx.status = added ? 201 : 200;
      ctx.body = { stockid: stockId, watched: true };
    } catch {
      throw redisDown();
    }
  });

  router.delete('/watchlist/:stockid', ...guard, async (ctx) => {
    const stockId = stockParam(ctx.params.stockid);
    try {
      const removed = await redis.srem(WATCHLIST_KEY, stockId);
      if (!removed)
        throw new HttpError(404, 'not_found', `stock ${stockId} is not on the watch list`, 'stockid');
      log.info('watch list changed', { stockId, removed: true, by: principalOf(ctx).id });
      ctx.body = { stockid: stockId, watched: false };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw redisDown();
    }
  });

  return router;
}

function userParam(id: string | undefined): string {
  if (!id || !USER_ID.test(id)) {
    throw badRequest(
      'id',
      'user id must be 1–64 letters, digits or _ . @ -, starting with a letter or digit',
    );
  }
  return id;
}

function stockParam(id: string | undefined): string {
  if (!id || !STOCK_ID.test(id))
    throw badRequest('stockid', 'stockid must be a 15–17 digit TSE instrument code');
  return id;
}

function creditOf(body: JsonValue): number {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof JsonNumber) {
    throw badRequest('body', `the body must be a JSON object {"credit": <rials>}, not ${jsonTypeOf(body)}`);
  }
  for (const key of Object.keys(body)) {
    if (key !== 'credit') throw badRequest(key, `unknown field "${key}"; the body has exactly "credit"`);
  }
  const credit = body.credit;
  if (credit === undefined) throw badRequest('credit', '"credit" is required');
  if (!(credit instanceof JsonNumber) || !/^\d+$/.test(credit.raw)) {
    throw badRequest('credit', '"credit" must be a whole, non-negative number of rials');
  }
  if (credit.raw.length > 16 || Number(credit.raw) > MAX_CREDIT) {
    throw badRequest('credit', `"credit" must be at most ${MAX_CREDIT}`);
  }
  return Number(credit.raw);
}
