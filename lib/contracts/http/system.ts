// Health, readiness, metrics and this document: public, for probes and operators.
import { z } from 'zod';
import { op, type Operation } from './operation';

/** Every system operation: public, answering without the services it reports on. */
const systemOp = <const O extends Omit<Operation, 'tags' | 'access' | 'mayBeUnavailable'>>(o: O) =>
  op({ ...o, tags: ['system'], access: 'public', mayBeUnavailable: false });

const check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  down: z.array(z.enum(['temporal', 'kafka', 'redis'])),
  checks: z.object({ temporal: check, kafka: check, redis: check }),
});

export const systemOperations = [
  systemOp({
    operationId: 'healthz',
    method: 'get',
    path: '/healthz',
    summary: 'The process lives',
    ok: { 200: { description: 'ok', body: z.object({ status: z.literal('ok') }) } },
  }),
  systemOp({
    operationId: 'readyz',
    method: 'get',
    path: '/readyz',
    summary: 'Temporal, Kafka and Redis answer',
    ok: {
      200: { description: 'Every service answers', body: readiness },
      503: { description: 'A service is down: `down` names it', body: readiness },
    },
  }),
  systemOp({
    operationId: 'openapi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    ok: { 200: { description: 'OpenAPI 3.1', body: z.looseObject({ openapi: z.string() }) } },
  }),
  systemOp({
    operationId: 'metrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    ok: { 200: { description: 'Text exposition format', contentType: 'text/plain' } },
  }),
];
