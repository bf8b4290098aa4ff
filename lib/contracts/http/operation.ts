// One HTTP operation of the API, described once: the route, who may call it, the zod schemas of its
// path, query, headers and body (which validate the request), and its answers (which the OpenAPI
// document lists). api/validate.ts applies the schemas; api/openapi.ts publishes them.
import type { z } from 'zod';

/** Who may call: anyone, a user key, an operator key, or either kind of key. */
export type Access = 'public' | 'user' | 'operator' | 'key';

export interface Answer {
  description: string;
  /** The JSON body's schema; an error answer's is the Error schema. */
  body?: z.ZodType;
  /** A body that is not JSON (the metrics text, an event stream). */
  contentType?: string;
  /** The JSON Schema of such a body (of each event, for text/event-stream); default a string. */
  schema?: Record<string, unknown>;
  headers?: Record<string, string>;
  /**
   * OpenAPI links: operations this answer's values feed, by name, each with its parameters as runtime
   * expressions (`$response.body#/orderId`), so a client (or schemathesis) can follow on.
   */
  links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
}

export interface Operation {
  operationId: string;
  method: 'get' | 'post' | 'put' | 'delete';
  /** Koa style: /orders/:id. */
  path: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the operation reads (by lower-case name), each validated when present. */
  headers?: Record<string, { schema: z.ZodType; description: string }>;
  body?: { schema: z.ZodType; maxBytes: number; example?: unknown; description?: string };
  /** Success answers by status. */
  ok: Record<number, Answer>;
  /** Errors this operation itself may answer, by status, besides those its shape implies. */
  errors?: Record<number, string>;
  /** Depends on Temporal, Kafka or Redis: may answer 503 with Retry-After. Default true. */
  mayBeUnavailable?: boolean;
}

/** An operation as written, its id and schemas kept in its type (so a handler's input is typed by them). */
export const op = <const O extends Operation>(o: O): O => o;

/**
 * What a handler of `O` is given: its path parameters, query, headers (each only when sent) and body,
 * as its schemas parse them (api/validate.ts), so handlers need no casts.
 */
export type OperationInput<O extends Operation> = {
  params: O extends { params: infer P extends z.ZodObject } ? z.output<P> : Record<string, never>;
  query: O extends { query: infer Q extends z.ZodObject } ? z.output<Q> : Record<string, never>;
  headers: O extends { headers: infer H extends NonNullable<Operation['headers']> }
    ? { [K in keyof H]?: z.output<H[K]['schema']> }
    : Record<string, never>;
  body: O extends { body: { schema: infer B extends z.ZodType } } ? z.output<B> : undefined;
};

/** The errors an operation's shape implies, so none is forgotten in its document. */
export function impliedErrors(o: Operation): Record<number, string> {
  const out: Record<number, string> = {};
  if (o.params || o.query || o.headers || o.body || o.access !== 'public') {
    out[400] = 'A parameter, header or the body is malformed; `field` names it';
  }
  if (o.access !== 'public') {
    out[401] = 'No API key, or not a valid one';
    out[429] = 'More than RATE_LIMIT_REQUESTS requests in RATE_LIMIT_WINDOW with this key';
  }
  if (o.access === 'user') out[403] = 'An operator key, or a user key acting for another user';
  if (o.access === 'operator') out[403] = 'Not an operator key';
  if (o.body) {
    out[413] = 'The body is larger than the operation allows';
    out[415] = 'Content-Type is not application/json';
  }
  if (o.mayBeUnavailable !== false) {
    out[503] = 'A service it needs did not answer in time (Retry-After says when to retry)';
  }
  return out;
}
