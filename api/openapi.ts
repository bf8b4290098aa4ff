// The OpenAPI 3.1 document, generated from the operations' own schemas (lib/contracts/http): what
// the API validates is what it publishes, so the two cannot drift.
import { API_OPERATIONS } from '../lib/contracts/http';
import { impliedErrors, type Answer, type Operation } from '../lib/contracts/http/operation';
import { errorBody, toJsonSchema } from '../lib/contracts/schema';
import type { z } from 'zod';
import { version } from '../package.json';

// JavaScript cannot hold 44891482026867833 as a number; the served text has it, exactly.
const STOCK_ID_NUMBER = '__STOCK_ID_NUMBER__';
const ERROR_SCHEMA = toJsonSchema(errorBody, 'output');

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function parameters(o: Operation): unknown[] {
  const out: unknown[] = [];
  const add = (where: 'path' | 'query', shape: z.ZodObject | undefined) => {
    for (const [name, schema] of Object.entries(shape?.shape ?? {})) {
      const s = schema as z.ZodType;
      const json = toJsonSchema(s);
      const required = where === 'path' || !s.safeParse(undefined).success;
      const { description, ...rest } = json;
      out.push({ name, in: where, required, ...(description ? { description } : {}), schema: rest });
    }
  };
  add('path', o.params);
  add('query', o.query);
  for (const [name, h] of Object.entries(o.headers ?? {})) {
    out.push({
      name: name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase()),
      in: 'header',
      required: false,
      description: h.description,
      schema: toJsonSchema(h.schema),
    });
  }
  return out;
}

function answer(a: Answer): unknown {
  const headers = a.headers
    ? Object.fromEntries(
        Object.entries(a.headers).map(([k, d]) => [k, { description: d, schema: { type: 'string' } }]),
      )
    : undefined;
  const content = a.contentType
    ? { [a.contentType]: { schema: a.schema ?? { type: 'string' } } }
    : a.body
      ? { 'application/json': { schema: toJsonSchema(a.body, 'output') } }
      : undefined;
  return {
    description: a.description,
    ...(headers ? { headers } : {}),
    ...(content ? { content } : {}),
    ...(a.links ? { links: a.links } : {}),
  };
}

function errorAnswer(status: number, description: string): unknown {
  const headers: Record<string, unknown> = {};
  if (status === 401) headers['WWW-Authenticate'] = { schema: { type: 'string' } };
  if (status === 429 || status === 503) headers['Retry-After'] = { schema: { type: 'integer' } };
  return {
    description,
    ...(Object.keys(headers).length ? { headers } : {}),
    content: { 'application/json': { schema: ERROR_SCHEMA } },
  };
}

function operationDoc(o: Operation): unknown {
  const errors = { ...impliedErrors(o), ...o.errors };
  const responses: Record<string, unknown> = {};
  for (const [status, a] of Object.entries(o.ok)) responses[status] = answer(a);
  for (const [status, d] of Object.entries(errors)) responses[status] ??= errorAnswer(Number(status), d);
  const body = o.body && {
    required: true,
    description: `application/json, at most ${o.body.maxBytes} bytes, exactly these fields.`,
    content: {
      'application/json': {
        schema: toJsonSchema(o.body.schema),
        ...(o.body.example ? { example: o.body.example } : {}),
      },
    },
  };
  return {
    operationId: o.operationId,
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    tags: o.tags,
    ...(o.access === 'public' ? { security: [] } : {}),
    parameters: parameters(o),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

function buildDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const o of API_OPERATIONS) (paths[openApiPath(o.path)] ??= {})[o.method] = operationDoc(o);
  return {
    openapi: '3.1.0',
    info: {
      title: 'bourse',
      // The release the document describes: package.json's, never a second copy to keep in step.
      version,
      description:
        'A durable stock-trading backend for the Tehran Stock Exchange. Every error is JSON: {error, message, field?}.',
    },
    paths,
    // Every operation needs an API key unless it says `security: []`.
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'bourse_ + 43 base64url characters',
          description:
            "A per-user API key (npm run seed prints demo keys for user1, user2 and an operator). A user key places and reads that user's own orders; an operator key administers users and the watch list.",
        },
      },
    },
  };
}

/** The document as JSON text, with the 17-digit example stock id as a real JSON number. */
export const openApiJson = JSON.stringify(buildDocument(), null, 2)
  .replaceAll('"stockid": "44891482026867833"', `"stockid": ${JSON.stringify(STOCK_ID_NUMBER)}`)
  .replaceAll(JSON.stringify(STOCK_ID_NUMBER), '44891482026867833');
