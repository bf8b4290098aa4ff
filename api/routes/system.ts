// Health, readiness, metrics and the API's own description: public, for probes and operators.
import Router from '@koa/router';
import type { ReadinessCheck } from '../../lib/infra/health';
import type { Registry } from 'prom-client';
import { openApiJson } from '../openapi';
import type { RouteDeps } from './deps';
import { mount } from './mount';

export function createSystemRouter(deps: RouteDeps, readiness: ReadinessCheck, registry: Registry): Router {
  const router = new Router();
  mount(router, deps, 'healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  mount(router, deps, 'metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  mount(router, deps, 'openapi', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openApiJson;
  });
  mount(router, deps, 'readyz', async (ctx) => {
    const r = await readiness.check();
    ctx.status = r.ready ? 200 : 503;
    ctx.body = { status: r.ready ? 'ready' : 'unavailable', down: r.down, checks: r.checks };
  });
  return router;
}
