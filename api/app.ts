// The Koa HTTP service as a factory: createApp(deps) wires routes to whatever clients it is given.
import Router from '@koa/router';
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Config } from '../lib/infra/config';
import type { ReadinessCheck } from '../lib/infra/health';
import type { Logger } from '../lib/infra/logger';
import { createApiMetrics, type ApiMetrics } from '../lib/infra/metrics';
import type { Redis } from '../lib/infra/redis';
import { HttpError } from './errors';
import { createAdminRouter } from './routes/admin';
import { openApiJson } from './openapi';
import { createOrderRouter } from './routes/orders';
import { pricesRouter } from './routes/prices';

export interface AppDeps {
  cfg: Config;
  log: Logger;
  redis: Redis;
  kafka: Kafka;
  temporal: Client;
  readiness: ReadinessCheck;
  /** Aborted when the process begins a graceful stop: long polls then answer the current state at once. */
  stopping?: AbortSignal;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = false;
  const metrics = createApiMetrics();
  app.use(requestLogAndErrors(deps.log, metrics));
  app.use(requestDeadline(deps.cfg.REQUEST_TIMEOUT));

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  // Public, no key: health for probes, the API's own description (and market data, once prices land).
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openApiJson;
  });
  router.get('/readyz', async (ctx) => {
    const r = await deps.readiness.check();
    ctx.status = r.ready ? 200 : 503;
    ctx.body = { status: r.ready ? 'ready' : 'unavailable', down: r.down, checks: r.checks };
  });

  // Public: /stocks/:id/prices (market data). Behind API keys: orders and /admin.
  for (const r of [router, pricesRouter(deps), createOrderRouter(deps), createAdminRouter(deps)]) {
    app.use(r.routes());
    // A known path with another method is a 405 with Allow, not a 404.
    app.use(r.allowedMethods());
  }
  return app;
}

/** Request id, one log line per request, and errors mapped to JSON (never a stack to the client). */
function requestLogAndErrors(log: Logger, metrics: ApiMetrics): Koa.Middleware {
  return async (ctx, next) => {
    const requestId = randomUUID();
    const started = performance.now();
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        throw new HttpError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
      }
      if (ctx.status === 405 && ctx.body == null) {
        ctx.status = 405; // keeps the Allow header allowedMethods set
        ctx.body = { error: 'method_not_allowed', message: `${ctx.method} is not allowed on ${ctx.path}` };
      }
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
      } else if (isKoaHttpError(err)) {
        ctx.status = err.status;
        if (err.headers) ctx.set(err.headers);
        ctx.body = { error: 'http_error', message: err.message };
      } else {
        ctx.status = 500;
        ctx.body = {
          error: 'internal',
          message: 'Internal error; the request id is in X-Request-Id',
          requestId,
        };
        log.error('unhandled error', { requestId, err, stack: (err as Error)?.stack });
      }
    } finally {
      const ms = performance.now() - started;
      // The route pattern, not the path: ids must not explode the label set.
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.requests.inc({ method: ctx.method, route, status: String(ctx.status) });
      metrics.requestSeconds.observe({ method: ctx.method, route }, ms / 1000);
      log.info('request', {
        requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(ms),
        // Who called (never the key itself).
        principal: (ctx.state as { principal?: { id: string } }).principal?.id,
      });
    }
  };
}

/**
 * No request runs longer than REQUEST_TIMEOUT: the client gets a 503 then (the longest legitimate
 * request, a long poll, is bounded well below it by RESULT_WAIT_MAX).
 */
function requestDeadline(ms: number): Koa.Middleware {
  return async (_ctx, next) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new HttpError(503, 'timeout', `the request took longer than ${ms / 1000} s`, undefined, {
              'Retry-After': '5',
            }),
          ),
        ms,
      );
    });
    try {
      await Promise.race([next(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Listens with the request-size and time limits every bourse API has: slow clients (slowloris) are cut
 * with 408 when the whole request has not arrived within REQUEST_READ_TIMEOUT (checked every second).
 */
export async function listenApp(
  app: Koa,
  cfg: Pick<Config, 'REQUEST_READ_TIMEOUT'>,
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer(
    {
      requestTimeout: cfg.REQUEST_READ_TIMEOUT,
      headersTimeout: cfg.REQUEST_READ_TIMEOUT,
      connectionsCheckingInterval: 1_000,
      maxHeaderSize: 16 * 1024,
    },
    app.callback(),
  );
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

function isKoaHttpError(
  err: unknown,
): err is { status: number; message: string; headers?: Record<string, string> } {
  const status = (err as { status?: unknown })?.status;
  return (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    (err as { expose?: boolean }).expose === true
  );
}
