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
import type { Duplex } from 'node:stream';
import { createOrderClient } from '../lib/orders/client';
import { createOrderResultWaiter } from '../lib/orders/long-poll';
import { createOrderIntake } from '../lib/orders/intake';
import { startOrderIntakeConsumer } from '../lib/orders/intake-consumer';
import { createOrderPlacer } from '../lib/orders/place';
import type { RunningBatchConsumer } from '../lib/infra/batch-consumer';
import { createFinalNotifier } from '../lib/orders/read-model/final-notifier';
import { createStore } from '../lib/store';
import { HttpError } from './errors';
import { createAdminRouter } from './routes/admin';
import type { RouteDeps } from './routes/deps';
import { createOrderRouter } from './routes/orders';
import { createPageRouter } from './routes/page';
import { createPricesRouter } from './routes/prices';
import { createReadsRouter } from './routes/reads';
import { createSystemRouter } from './routes/system';
import { raceDeadline } from '../lib/infra/deadline';

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

/** The HTTP service, and the burst intake's consumer its process runs beside it (lib/orders/intake.ts). */
export interface BourseApp {
  koa: Koa;
  /** Joins the `order-requests` group and starts queued orders until stopped. */
  startIntake(onFatal?: (err: Error) => void): Promise<RunningBatchConsumer>;
  /** Closes the intake's Kafka sender. */
  close(): Promise<void>;
}

export function createApp(deps: AppDeps): BourseApp {
  const app = new Koa();
  app.proxy = false;
  const metrics = createApiMetrics();
  app.use(requestLogAndErrors(deps.log, metrics));
  app.use(requestDeadline(deps.cfg.REQUEST_TIMEOUT));

  const orders = createOrderClient(deps);
  const intake = createOrderIntake(deps);
  const placer = createOrderPlacer({
    cfg: deps.cfg,
    redis: deps.redis,
    orders,
    intake,
    observer: {
      waiting: (d) => metrics.admissionWaiting.inc(d),
      admitted: (s) => metrics.admissionWaitSeconds.observe(s),
      refused: () => metrics.ordersRefusedOverloaded.inc(),
    },
  });
  const routeDeps: RouteDeps = {
    cfg: deps.cfg,
    log: deps.log,
    orders,
    placer,
    results: createOrderResultWaiter({
      orders,
      intake,
      finals: createFinalNotifier(deps.redis),
      stopping: deps.stopping,
    }),
    metrics,
    store: createStore(deps.redis, deps.cfg),
    authRedis: deps.redis,
    stopping: deps.stopping,
  };
  const root = new Router();
  for (const r of [
    createSystemRouter(routeDeps, deps.readiness, metrics.registry),
    createPricesRouter(routeDeps),
    createReadsRouter(routeDeps),
    createOrderRouter(routeDeps),
    createAdminRouter(routeDeps),
    createPageRouter(routeDeps),
  ]) {
    root.use(r.routes());
  }
  app.use(root.routes());
  app.use(noRoute(root));
  return {
    koa: app,
    startIntake: (onFatal) =>
      startOrderIntakeConsumer({ ...deps, intake, orders, admission: placer.admission, onFatal }),
    close: () => intake.close(),
  };
}

/**
 * What no route answered: a known path with another method is a 405 with Allow (any method, TRACE
 * included), OPTIONS lists the methods, and anything else is a 404 — all as JSON.
 */
function noRoute(root: Router): Koa.Middleware {
  return (ctx) => {
    const allowed = [...new Set(root.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods))];
    if (allowed.length === 0) throw new HttpError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
    const allow = allowed.join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allow);
      return;
    }
    throw new HttpError(
      405,
      'method_not_allowed',
      `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`,
      undefined,
      {
        Allow: allow,
      },
    );
  };
}

/** Request id, one log line per request, and errors mapped to JSON (never a stack to the client). */
function requestLogAndErrors(log: Logger, metrics: ApiMetrics): Koa.Middleware {
  return async (ctx, next) => {
    const requestId = randomUUID();
    const started = performance.now();
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = err.body();
      } else if (isKoaHttpError(err)) {
        ctx.status = err.status;
        if (err.headers) ctx.set(err.headers);
        ctx.body = { error: 'invalid_request', message: err.message };
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
    await raceDeadline(
      ms,
      () =>
        new HttpError(503, 'timeout', `the request took longer than ${ms / 1000} s`, undefined, {
          'Retry-After': '5',
        }),
      next,
    );
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
  server.on('clientError', answerClientError);
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

const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'Request Timeout',
    'request_timeout',
    'the request did not arrive within REQUEST_READ_TIMEOUT',
  ],
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'headers_too_large',
    'the request headers exceed 16 KiB',
  ],
};

/**
 * Errors Node's HTTP server meets before Koa runs (a slow sender, headers too large, a malformed
 * request) get the same JSON error shape as every other answer, then the connection closes.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const res = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !res?.headersSent && err.code !== 'ECONNRESET') {
    const [status, reason, error, message] = CLIENT_ERRORS[err.code ?? ''] ?? [
      400,
      'Bad Request',
      'invalid_request',
      'the request is not valid HTTP/1.1',
    ];
    const body = JSON.stringify({ error, message });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
