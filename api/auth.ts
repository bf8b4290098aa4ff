// Authentication (Bearer API keys), per-key rate limiting and role checks, as Koa middleware.
// The key itself never reaches a log line: only the principal's id does.
import type Koa from 'koa';
import { apiKeyHash, principalOfKey, takeRateToken, type Principal, type Role } from '../lib/store/api-keys';
import type { Config } from '../lib/infra/config';
import type { Redis } from '../lib/infra/redis';
import { HttpError } from './errors';

export interface AuthState {
  principal: Principal;
}

const unauthorized = (message: string, error: 'invalid_token' | 'missing' = 'invalid_token') =>
  new HttpError(401, 'unauthorized', message, 'Authorization', {
    'WWW-Authenticate':
      error === 'missing' ? 'Bearer realm="bourse"' : 'Bearer realm="bourse", error="invalid_token"',
  });

/** Who is calling: a valid `Authorization: Bearer <key>`, else 401; over the key's rate, 429. */
export function authenticate(
  cfg: Pick<Config, 'RATE_LIMIT_REQUESTS' | 'RATE_LIMIT_WINDOW'>,
  redis: Redis,
): Koa.Middleware {
  return async (ctx, next) => {
    const sent = ctx.req.rawHeaders.filter((v, i) => i % 2 === 0 && v.toLowerCase() === 'authorization');
    if (sent.length > 1) {
      throw new HttpError(
        400,
        'invalid_request',
        'send one Authorization header: two credentials are ambiguous',
        'Authorization',
      );
    }
    const header = ctx.get('Authorization');
    if (!header) throw unauthorized('an API key is required: Authorization: Bearer <key>', 'missing');
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) throw unauthorized('the Authorization header must be "Bearer <key>"');
    const key = m[1];
    let principal: Principal | undefined;
    let rate: Awaited<ReturnType<typeof takeRateToken>> | undefined;
    try {
      principal = await principalOfKey(redis, key);
      if (principal) {
        rate = await takeRateToken(redis, apiKeyHash(key), cfg.RATE_LIMIT_REQUESTS, cfg.RATE_LIMIT_WINDOW);
      }
    } catch {
      throw new HttpError(503, 'unavailable', 'the key store (Redis) is unavailable', undefined, {
        'Retry-After': '5',
      });
    }
    if (!principal) throw unauthorized('the API key is not valid');
    ctx.set('RateLimit-Limit', String(cfg.RATE_LIMIT_REQUESTS));
    ctx.set('RateLimit-Remaining', String(rate!.remaining));
    if (!rate!.allowed) {
      throw new HttpError(
        429,
        'rate_limited',
        `more than ${cfg.RATE_LIMIT_REQUESTS} requests in ${cfg.RATE_LIMIT_WINDOW / 1000} s with this key; retry after ${rate!.retryAfterSeconds} s`,
        'Authorization',
        { 'Retry-After': String(rate!.retryAfterSeconds) },
      );
    }
    (ctx.state as AuthState).principal = principal;
    await next();
  };
}

/** Only principals of this role pass; others get 403. */
export function requireRole(role: Role): Koa.Middleware {
  return async (ctx, next) => {
    const p = principalOf(ctx);
    if (p.role !== role) {
      throw new HttpError(
        403,
        'forbidden',
        `this endpoint needs ${role === 'operator' ? 'an operator' : 'a user'} key`,
        'Authorization',
      );
    }
    await next();
  };
}

/** The middleware an operation's access needs: nothing, any key, or a key of one role. */
export function guard(
  access: 'public' | 'user' | 'operator' | 'key',
  cfg: Pick<Config, 'RATE_LIMIT_REQUESTS' | 'RATE_LIMIT_WINDOW'>,
  redis: Redis,
): Koa.Middleware[] {
  if (access === 'public') return [];
  const auth = authenticate(cfg, redis);
  return access === 'key' ? [auth] : [auth, requireRole(access)];
}

export const principalOf = (ctx: Koa.Context): Principal => {
  const p = (ctx.state as Partial<AuthState>).principal;
  if (!p) throw new Error('principalOf called on a route without authenticate()');
  return p;
};
