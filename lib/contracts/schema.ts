// The zod building blocks of bourse's HTTP contract: each field's rule is written once and serves both
// the validation of a request and its JSON Schema in the OpenAPI document (api/openapi.ts).
import { z } from 'zod';
import {
  IDEMPOTENCY_KEY,
  IDEMPOTENCY_KEY_RULE,
  ORDER_ID,
  STOCK_ID,
  STOCK_ID_RULE,
  USER_ID,
  USER_ID_RULE,
} from './ids';
import { exactInteger, JsonNumber, jsonTypeOf, type JsonValue } from './json';
import { parseRfc3339 } from './time';

type JsonSchema = Record<string, unknown>;

/** Schemas whose input zod cannot describe (a preprocess step): their documented JSON Schema. */
const documented = new WeakMap<object, JsonSchema>();

/** Marks `schema` to be documented as `jsonSchema` (what a client may send), and returns it. */
export function docAs<T extends z.ZodType>(schema: T, jsonSchema: JsonSchema): T {
  documented.set(schema, jsonSchema);
  return schema;
}

/** The JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a client may send or receive. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      const doc = documented.get(ctx.zodSchema);
      if (!doc) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
      Object.assign(ctx.jsonSchema, doc);
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

const describeInput = (v: unknown): string =>
  v === undefined
    ? 'nothing'
    : v instanceof JsonNumber || typeof v !== 'object' || v === null || Array.isArray(v)
      ? jsonTypeOf(v as JsonValue)
      : 'an object';

/**
 * A whole number from a lossless JSON body (or already a number): any literal JSON Schema calls an
 * integer (1869, 1869.0, 1.869e3) is read exactly; a fraction or a string is refused naming the field.
 */
export function jsonInteger(min: number, max: number, what = 'a whole number') {
  const schema = z.preprocess(
    (v, ctx) => {
      if (!(v instanceof JsonNumber)) return v;
      const digits = exactInteger(v.raw);
      if (digits === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be ${what}, not ${v.raw}` });
        return z.NEVER;
      }
      // Beyond 16 digits it is out of every range here; keep the comparison exact.
      if (digits.replace('-', '').length > 16) {
        ctx.addIssue({ code: 'custom', message: `must be from ${min} to ${max}, not ${v.raw}` });
        return z.NEVER;
      }
      return Number(digits);
    },
    z
      .int({ error: (iss) => `must be ${what}, not ${describeInput(iss.input)}` })
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );
  return docAs(schema, { type: 'integer', minimum: min, maximum: max });
}

/** A stock id as a JSON number or a string of digits, read exactly (44891482026867833 stays itself). */
export const stockIdValue = docAs(
  z.preprocess(
    (v, ctx) => {
      if (v instanceof JsonNumber) {
        const digits = exactInteger(v.raw);
        if (digits === undefined) {
          ctx.addIssue({ code: 'custom', message: `must be ${STOCK_ID_RULE}, not ${v.raw}` });
          return z.NEVER;
        }
        return digits;
      }
      return v;
    },
    z
      .string({ error: (iss) => `must be a number or a string of digits, not ${describeInput(iss.input)}` })
      .regex(STOCK_ID, `must be ${STOCK_ID_RULE}`),
  ),
  {
    description: `TSE instrument code, 15–17 digits, read exactly even beyond 2^53`,
    oneOf: [
      { type: 'integer', minimum: 100_000_000_000_000, exclusiveMaximum: 100_000_000_000_000_000 },
      { type: 'string', pattern: STOCK_ID.source },
    ],
  },
);

/** Path/query text fields. */
export const stockIdText = z.string().regex(STOCK_ID, `must be ${STOCK_ID_RULE}`);
export const userIdText = z
  .string({ error: (iss) => `must be a string, not ${describeInput(iss.input)}` })
  .regex(USER_ID, `must be ${USER_ID_RULE}`);
export const orderIdText = docAs(
  z
    .string()
    .regex(ORDER_ID, 'must be an order id (a UUID)')
    .transform((s) => s.toLowerCase()),
  { type: 'string', format: 'uuid' },
);
export const idempotencyKeyText = z.string().regex(IDEMPOTENCY_KEY, `must be ${IDEMPOTENCY_KEY_RULE}`);

/** An RFC 3339 date-time in a query, read strictly (no 2026-02-30, no 24:00:00). */
export const dateTimeText = docAs(
  z.string().transform((text, ctx) => {
    const r = parseRfc3339(text);
    if (r.ok) return r.date;
    ctx.addIssue({ code: 'custom', message: `${r.problem}, not ${JSON.stringify(text)}` });
    return z.NEVER;
  }),
  { type: 'string', format: 'date-time' },
);

/** A number of seconds in a query, in any JSON number form (1, 1.5, 1e0). */
export function secondsText(description: string) {
  return docAs(
    z.string().transform((text, ctx) => {
      const n = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
      if (Number.isFinite(n) && n >= 0) return n;
      ctx.addIssue({
        code: 'custom',
        message: `must be a number of seconds ≥ 0, not ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }),
    { type: 'number', minimum: 0, description },
  );
}

/** A whole number in a query (a page size and such). */
export function integerText(min: number, max: number, description: string) {
  return docAs(
    z.string().transform((text, ctx) => {
      const digits = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? exactInteger(text) : undefined;
      const n = digits === undefined ? NaN : Number(digits);
      if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
      ctx.addIssue({
        code: 'custom',
        message: `must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }),
    { type: 'integer', minimum: min, maximum: max, description },
  );
}

/** The error body every 4xx/5xx of the API has. */
export const errorBody = z.object({
  error: z.string().meta({ examples: ['invalid_request'] }),
  message: z.string(),
  field: z.string().optional().meta({ description: 'The request field, header or parameter at fault' }),
  requestId: z
    .string()
    .optional()
    .meta({ description: 'An internal error: the id to quote (also in X-Request-Id)' }),
  orderId: z.string().optional().meta({ description: 'The order this error concerns, when it may exist' }),
  priceMinute: z
    .string()
    .optional()
    .meta({ description: 'no_fresh_price: the minute of the newest price there is' }),
  nextOpen: z.string().optional().meta({ description: 'market_closed: when the next session opens' }),
  bandLow: z
    .int()
    .optional()
    .meta({ description: "outside_price_band: the band's lowest allowed limit, rials" }),
  bandHigh: z
    .int()
    .optional()
    .meta({ description: "outside_price_band: the band's highest allowed limit, rials" }),
  closePrice: z
    .int()
    .optional()
    .meta({ description: 'outside_price_band: the close the band is around, rials' }),
  reserved: z.int().optional().meta({ description: 'credit_below_reserved: what open orders hold reserved' }),
  status: z.string().optional().meta({ description: "order_final: the order's status text, as decided" }),
  phase: z
    .string()
    .optional()
    .meta({ description: "order_final: the order's phase (succeeded, failed, denied)" }),
});
