// The operator's operations: users' credit, their API keys, the watch list.
import { z } from 'zod';
import { idempotencyKeyText, jsonInteger, stockIdText, userIdText } from '../schema';
import { op, type Operation } from './operation';

/** Every admin operation: tagged admin, for operator keys only. */
const adminOp = <const O extends Omit<Operation, 'tags' | 'access'>>(o: O) =>
  op({ ...o, tags: ['admin'], access: 'operator' });

/** Largest credit an operator may load: keeps every sum of rials an exact integer. */
export const MAX_CREDIT = 1_000_000_000_000_000; // 10^15 rials

const userParams = z.object({ id: userIdText });
const stockParams = z.object({ stockid: stockIdText });

export const moneySchema = z.object({
  user: z.string(),
  credit: z.int(),
  reserved: z.int(),
  available: z.int().meta({ description: 'credit − reserved: what new orders may spend' }),
});

export const creditAdjustmentSchema = moneySchema.extend({
  event: z.object({
    id: z.string().meta({ description: "The entry's id in the user's credit-event stream" }),
    delta: z.int(),
    by: z.string(),
    at: z.string().meta({ format: 'date-time' }),
    idempotencyKey: z.string().optional(),
  }),
  replayed: z
    .boolean()
    .meta({ description: 'true: this Idempotency-Key was already applied; nothing changed' }),
});

const watchAnswer = z.object({ stockid: z.string(), watched: z.boolean() });
const belowReserved =
  'The credit would fall below what open orders hold reserved (credit_below_reserved, naming it)';

export const adminOperations = [
  adminOp({
    operationId: 'loadUserCredit',
    method: 'put',
    path: '/admin/users/:id',
    summary: 'Create a user or set its credit (rials); never below what its open orders hold reserved',
    params: userParams,
    body: {
      schema: z.strictObject({ credit: jsonInteger(0, MAX_CREDIT, 'a whole, non-negative number of rials') }),
      maxBytes: 1024,
      example: { credit: 150_000_000 },
    },
    ok: { 200: { description: "The user's money now", body: moneySchema } },
    errors: { 409: belowReserved },
  }),
  adminOp({
    operationId: 'adjustUserCredit',
    method: 'post',
    path: '/admin/users/:id/credit',
    summary: 'Deposit (delta > 0) or withdraw (delta < 0) credit atomically, recorded as a credit event',
    params: userParams,
    headers: {
      'idempotency-key': {
        schema: idempotencyKeyText,
        description: 'A retried adjustment with the same key is applied once.',
      },
    },
    body: {
      schema: z.strictObject({ delta: jsonInteger(-MAX_CREDIT, MAX_CREDIT, 'a whole number of rials') }),
      maxBytes: 1024,
      example: { delta: 50_000_000 },
    },
    ok: { 200: { description: 'Applied (or replayed)', body: creditAdjustmentSchema } },
    errors: {
      404: 'No such user',
      409: `${belowReserved}, or above the maximum credit`,
      422: 'delta is 0, or the Idempotency-Key was used for another delta',
    },
  }),
  adminOp({
    operationId: 'issueUserKey',
    method: 'post',
    path: '/admin/users/:id/keys',
    summary: 'Issue a new API key for a user; the key is shown once, only its hash is kept',
    params: userParams,
    ok: {
      201: {
        description: 'The new key',
        body: z.object({ user: z.string(), key: z.string(), note: z.string() }),
      },
    },
    errors: { 404: 'No such user' },
  }),
  adminOp({
    operationId: 'getWatchList',
    method: 'get',
    path: '/admin/watchlist',
    summary: 'The stock ids the price fetcher follows (besides STOCKS)',
    ok: { 200: { description: 'The list', body: z.object({ stocks: z.array(z.string()) }) } },
  }),
  adminOp({
    operationId: 'watchStock',
    method: 'put',
    path: '/admin/watchlist/:stockid',
    summary: 'Add a stock to the watch list',
    params: stockParams,
    ok: {
      200: { description: 'Already there', body: watchAnswer },
      201: { description: 'Added', body: watchAnswer },
    },
  }),
  adminOp({
    operationId: 'unwatchStock',
    method: 'delete',
    path: '/admin/watchlist/:stockid',
    summary: 'Remove a stock from the watch list: it is no longer fetched nor tradable',
    params: stockParams,
    ok: { 200: { description: 'Removed', body: watchAnswer } },
    errors: { 404: 'Not on the list' },
  }),
];
