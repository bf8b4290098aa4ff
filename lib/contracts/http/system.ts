// Health, readiness, metrics and this document: public, for probes and operators.
import { z } from 'zod';
import { op } from './operation';

const check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  down: z.array(z.enum(['temporal', 'kafka', 'redis'])),
  checks: z.object({ temporal: check, kafka: check, redis: check }),
});

export const systemOperations = [
  op({
    operationId: 'healthz',
    method: 'get',
    path: '/healthz',
    summary: 'The process lives',
    tags: ['system'],
    access: 'public',
    mayBeUnavailable: false,
    ok: { 200: { description: 'ok', body: z.object({ status: z.literal('ok') }) } },
  }),
  op({
    operationId: 'readyz',
    method: 'get',
    path: '/readyz',
    summary: 'Temporal, Kafka and Redis answer',
    tags: ['system'],
    access: 'public',
    mayBeUnavailable: false,
    ok: {
      200: { description: 'Every service answers', body: readiness },
      503: { description: 'A service is down: `down` names it', body: readiness },
    },
  }),
  op({
    operationId: 'openapi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tags: ['system'],
    access: 'public',
    mayBeUnavailable: false,
    ok: { 200: { description: 'OpenAPI 3.1', body: z.looseObject({ openapi: z.string() }) } },
  }),
  op({
    operationId: 'metrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['system'],
    access: 'public',
    mayBeUnavailable: false,
    ok: { 200: { description: 'Text exposition format', contentType: 'text/plain' } },
  }),
];
