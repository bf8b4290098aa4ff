// Applies an operation's schemas (lib/contracts/http) to a request: path, query, headers and body are
// parsed once, and the first problem becomes a 400 naming its field.
import type Koa from 'koa';
import type { z } from 'zod';
import type { Operation, OperationInput } from '../lib/contracts/http/operation';
import { jsonTypeOf, type JsonValue } from '../lib/contracts/json';
import { badRequest } from './errors';
import { readJsonBody } from './read-body';

/** The first issue of a failed parse, in words naming the field. */
function problem(
  error: z.ZodError,
  fallbackField: string,
  allowed?: string[],
): { field: string; message: string } {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const known = allowed ? `; allowed: ${allowed.join(', ')}` : '';
    return { field: key, message: `unknown field "${key}"${known}` };
  }
  const field = issue.path.length ? issue.path.map(String).join('.') : fallbackField;
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return { field, message: `"${field}" is required` };
  }
  if (issue.code === 'invalid_type' && field === fallbackField && fallbackField === 'body') {
    return {
      field,
      message: `the body must be a JSON object, not ${jsonTypeOf(issue.input as JsonValue)}`,
    };
  }
  return { field, message: `"${field}" ${issue.message}` };
}

/** Parses `value` with `schema`; the first problem is a 400 naming its field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, fallbackField: string): z.output<T> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  const { field, message } = problem(r.error, fallbackField, shape ? Object.keys(shape) : undefined);
  throw badRequest(field, message);
}

/** One value per query parameter: a repeated one is ambiguous. */
function singleValues(
  query: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, v] of Object.entries(query)) {
    if (Array.isArray(v)) throw badRequest(name, `"${name}" must be given once`);
    out[name] = v;
  }
  return out;
}

/** Headers are validated when present, even empty (an empty Idempotency-Key is a bad key, not none). */
function headerValues(ctx: Koa.Context, op: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, h] of Object.entries(op.headers ?? {})) {
    const raw = ctx.req.headers[name];
    if (raw === undefined) continue;
    const label = name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
    const count = ctx.req.rawHeaders.filter((v, i) => i % 2 === 0 && v.toLowerCase() === name).length;
    if (count > 1) throw badRequest(label, `${label} must be sent once`);
    const r = h.schema.safeParse(raw);
    if (!r.success) throw badRequest(label, `${label} ${r.error.issues[0]?.message ?? 'is invalid'}`);
    out[name] = r.data;
  }
  return out;
}

/** The request's input, parsed by `op`'s own schemas: hence typed by them (OperationInput). */
export async function readInput<O extends Operation>(ctx: Koa.Context, op: O): Promise<OperationInput<O>> {
  const headers = headerValues(ctx, op);
  const params = op.params ? parse(op.params, ctx.params ?? {}, 'id') : {};
  const query = op.query ? parse(op.query, singleValues(ctx.query), 'query') : {};
  const body = op.body ? parse(op.body.schema, await readJsonBody(ctx, op.body.maxBytes), 'body') : undefined;
  // What each schema parsed is its output type; TypeScript cannot follow `op`'s optional members to it.
  return { params, query, headers, body } as OperationInput<O>;
}
