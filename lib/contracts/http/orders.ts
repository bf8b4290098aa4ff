// The order operations: place a buy order, read it, long-poll its result.
import { z } from 'zod';
import {
  MAX_ORDER_QUANTITY,
  ORDER_BODY_LIMIT_BYTES,
  ORDER_STATUS_KEYWORD,
  ORDER_STATUS_TEXT,
} from '../orders';
import {
  idempotencyKeyText,
  jsonInteger,
  orderIdText,
  secondsText,
  stockIdValue,
  userIdText,
} from '../schema';
import { op } from './operation';

export const orderRequestSchema = z.strictObject({
  user: userIdText,
  stockid: stockIdValue,
  quantity: jsonInteger(1, MAX_ORDER_QUANTITY, 'a whole, positive number of shares'),
});
export type OrderRequestBody = z.output<typeof orderRequestSchema>;

const phases = Object.keys(ORDER_STATUS_TEXT) as [
  keyof typeof ORDER_STATUS_TEXT,
  ...(keyof typeof ORDER_STATUS_TEXT)[],
];

export const orderViewSchema = z.object({
  orderId: z.string().meta({ format: 'uuid' }),
  user: z.string(),
  stockid: z.string().meta({ description: 'Always a string of digits in answers' }),
  quantity: z.int(),
  status: z.enum(Object.values(ORDER_STATUS_TEXT) as [string, ...string[]]).meta({
    description: `One of the contract's status texts. The Web UI's OrderStatus search attribute holds the matching word: ${Object.entries(
      ORDER_STATUS_KEYWORD,
    )
      .map(([p, k]) => `${k} = "${ORDER_STATUS_TEXT[p as keyof typeof ORDER_STATUS_TEXT]}"`)
      .join('; ')}`,
  }),
  phase: z.enum(phases),
  final: z.boolean(),
  price: z.int().optional().meta({ description: 'The price the credit check used, rials' }),
  priceMinute: z.string().optional().meta({ format: 'date-time', description: 'The minute of that price' }),
  amount: z.int().optional().meta({ description: 'price × quantity, rials' }),
  reason: z.string().optional().meta({ description: 'Why an order failed' }),
  receivedAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
export type OrderView = z.output<typeof orderViewSchema>;

const orderParams = z.object({ id: orderIdText });

const placeOrder = (operationId: string, path: string, summary: string) =>
  op({
    operationId,
    method: 'post',
    path,
    summary,
    description:
      'Starts the order and answers as soon as its credit (a fresh price × quantity against credit − reserved) ' +
      'is checked and reserved. The user verification that decides the order runs afterwards; read its result ' +
      'with GET /orders/{id}/result?wait=. stockid is read exactly as written, as a JSON number or a string. ' +
      'A burst waits its turn for up to ORDER_START_TIMEOUT; only what cannot start in time is refused (503 overloaded).',
    tags: ['orders'],
    access: 'user',
    headers: {
      'idempotency-key': {
        schema: idempotencyKeyText,
        description:
          'A retried POST with the same key (for the same user) returns the same order, never a second one.',
      },
    },
    body: {
      schema: orderRequestSchema,
      maxBytes: ORDER_BODY_LIMIT_BYTES,
      example: { user: 'user2', stockid: '44891482026867833', quantity: 100 },
    },
    ok: {
      201: {
        description: `The order exists and its credit was checked: status is "${ORDER_STATUS_TEXT.denied}" or "${ORDER_STATUS_TEXT.inProgress}".`,
        body: orderViewSchema,
        headers: { Location: '/orders/{orderId}' },
      },
    },
    errors: {
      409: "No fresh price for the stock (no_fresh_price, with the price's minute), or the market is closed (market_closed, with the next opening)",
      422: 'Unknown user, unknown stock, a stock not on the watch list, or an Idempotency-Key reused for another order',
    },
  });

export const orderOperations = [
  placeOrder('placeOrder', '/orders', 'Place a buy order; answers the credit check at once'),
  placeOrder('buyStock', '/BuyStock', 'Alias of POST /orders (the original endpoint)'),
  op({
    operationId: 'getOrder',
    method: 'get',
    path: '/orders/:id',
    summary: "An order's current state",
    tags: ['orders'],
    access: 'key',
    params: orderParams,
    ok: { 200: { description: 'The order', body: orderViewSchema } },
    errors: { 404: "No such order, or another user's order", 410: 'The order ended abnormally (terminated)' },
  }),
  op({
    operationId: 'awaitOrderResult',
    method: 'get',
    path: '/orders/:id/result',
    summary:
      "Long poll: the order's final result the moment it exists, or its current state when the wait ends",
    tags: ['orders'],
    access: 'key',
    params: orderParams,
    query: z.object({
      wait: secondsText(
        "Seconds to wait for the final result. Default and maximum RESULT_WAIT_MAX (75 s: the verification timeout plus a margin, so one poll covers an order's whole life); a longer wait is clamped to it and the answer says so in waitClampedTo.",
      ).optional(),
    }),
    ok: {
      200: {
        description: 'final = true: the result; final = false: the wait ran out, this is the current state',
        body: orderViewSchema.extend({
          waitedMs: z.int(),
          waitClampedTo: z
            .number()
            .optional()
            .meta({ description: 'Seconds: the wait asked for was longer than RESULT_WAIT_MAX' }),
        }),
      },
    },
    errors: { 404: "No such order, or another user's order", 410: 'The order ended abnormally (terminated)' },
  }),
];
