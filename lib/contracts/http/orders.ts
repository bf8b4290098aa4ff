// The order operations: place a buy or sell order, read it, long-poll its result, cancel it.
import { z } from 'zod';
import {
  ALL_STATUS_TEXTS,
  MAX_ORDER_QUANTITY,
  ORDER_BODY_LIMIT_BYTES,
  ORDER_SIDES,
  ORDER_STATUS_KEYWORD,
  ORDER_STATUS_TEXT,
  ORDER_TYPES,
  SELL_STATUS_TEXT,
  TIMES_IN_FORCE,
} from '../orders';
import {
  docAs,
  idempotencyKeyText,
  jsonInteger,
  orderIdText,
  secondsText,
  stockIdValue,
  toJsonSchema,
  userIdText,
} from '../schema';
import { op } from './operation';

/** The original BuyStock request: POST /BuyStock (a buy) and POST /SellStock (a sell) take exactly this. */
export const marketOrderRequestSchema = z.strictObject({
  user: userIdText,
  stockid: stockIdValue,
  quantity: jsonInteger(1, MAX_ORDER_QUANTITY, 'a whole, positive number of shares'),
});
export const orderSideValue = z
  .enum(ORDER_SIDES)
  .meta({ description: 'buy (the default) spends credit for shares; sell spends shares for credit' });
export const orderTypeValue = z
  .enum(ORDER_TYPES)
  .meta({ description: 'market (the default) is priced at the latest price; limit waits for limitPrice' });
/** The largest limit price, rials (keeps limitPrice × quantity an exact integer with the quantity's bound). */
export const MAX_LIMIT_PRICE = 1_000_000_000;
const limitPriceValue = jsonInteger(1, MAX_LIMIT_PRICE, 'a whole, positive number of rials');
const timeInForceValue = z.enum(TIMES_IN_FORCE).meta({
  description:
    "day (the default): until the session's close; gtc: good till cancelled, at most LIMIT_ORDER_MAX_AGE (30 days)",
});

const sideField = { side: orderSideValue.optional() };
/** The two shapes POST /orders takes, as the OpenAPI document shows them. */
const marketShape = marketOrderRequestSchema.extend({ ...sideField, type: z.literal('market').optional() });
const limitShape = marketOrderRequestSchema.extend({
  ...sideField,
  type: z.literal('limit'),
  limitPrice: limitPriceValue,
  timeInForce: timeInForceValue.optional(),
});

/**
 * POST /orders: the BuyStock request and, optionally, its side; a limit order also its type, limit
 * price and time in force. Read as one object so every problem names its field; documented as the two
 * shapes it accepts (a market order takes neither limitPrice nor timeInForce).
 */
export const orderRequestSchema = docAs(
  marketOrderRequestSchema
    .extend({
      ...sideField,
      type: orderTypeValue.optional(),
      limitPrice: limitPriceValue.optional(),
      timeInForce: timeInForceValue.optional(),
    })
    .superRefine((b, ctx) => {
      const limit = b.type === 'limit';
      if (limit && b.limitPrice === undefined)
        ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: 'is required for a limit order' });
      if (!limit && b.limitPrice !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['limitPrice'],
          message: 'is for limit orders only (type "limit")',
        });
      if (!limit && b.timeInForce !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['timeInForce'],
          message: 'is for limit orders only (type "limit")',
        });
    }),
  { anyOf: [toJsonSchema(marketShape), toJsonSchema(limitShape)] },
);
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
  side: orderSideValue,
  type: orderTypeValue,
  limitPrice: z.int().optional().meta({ description: 'A limit order: the price it waits for, rials' }),
  timeInForce: timeInForceValue.optional(),
  expiresAt: z
    .string()
    .optional()
    .meta({ format: 'date-time', description: 'A limit order: when it expires unfilled' }),
  status: z.enum(ALL_STATUS_TEXTS).meta({
    description: `One of the contract's status texts. The Web UI's OrderStatus search attribute holds the matching word: ${Object.entries(
      ORDER_STATUS_KEYWORD,
    )
      .map(([p, k]) => `${k} = "${ORDER_STATUS_TEXT[p as keyof typeof ORDER_STATUS_TEXT]}"`)
      .join('; ')}. A sell's differ where its check is of shares: ${Object.values(SELL_STATUS_TEXT)
      .map((t) => `"${t}"`)
      .join(', ')}`,
  }),
  phase: z.enum(phases),
  final: z.boolean(),
  price: z.int().optional().meta({
    description:
      'The price the credit check used, rials (an Open limit order: its limit; once filled: the fill price)',
  }),
  priceMinute: z.string().optional().meta({ format: 'date-time', description: 'The minute of that price' }),
  amount: z.int().optional().meta({ description: 'price × quantity, rials' }),
  reason: z.string().optional().meta({ description: 'Why an order failed or who canceled it' }),
  receivedAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
export type OrderView = z.output<typeof orderViewSchema>;

const orderParams = z.object({ id: orderIdText });

/** What an order's id, once placed, leads to: its state, its result, its cancel. */
const orderLinks = Object.fromEntries(
  ['getOrder', 'awaitOrderResult', 'cancelOrder'].map((operationId) => [
    operationId,
    { operationId, parameters: { id: '$response.body#/orderId' } },
  ]),
);

const placeOrder = <const Id extends string, S extends z.ZodType>(
  operationId: Id,
  path: string,
  summary: string,
  schema: S,
  example: Record<string, unknown>,
) =>
  op({
    operationId,
    method: 'post',
    path,
    summary,
    description:
      "Starts the order and answers as soon as its check is done and reserved: a buy's credit (a fresh price × " +
      "quantity against credit − reserved), a sell's shares (quantity against held − reserved by open sells). The " +
      'user verification that decides the order runs afterwards; read its result with GET /orders/{id}/result?wait=, ' +
      'or withdraw it with POST /orders/{id}/cancel. stockid is read exactly as written, as a JSON number or a string. ' +
      'A limit order (type limit, limitPrice, timeInForce) reserves limitPrice × quantity (a sell its shares) and waits Open ' +
      'until a fresh price crosses its limit, then is verified and settled at that price. ' +
      'When the check cannot be answered within ORDER_QUEUE_AFTER (a burst, the order service slow or down), the order ' +
      'is recorded on the burst intake and answered 202, its check and result following on the long poll and GET /events; ' +
      "a user's orders are checked in the order they arrived. No order is refused for load: 503 means it could not be recorded.",
    tags: ['orders'],
    access: 'user',
    headers: {
      'idempotency-key': {
        schema: idempotencyKeyText,
        description:
          'A retried POST with the same key (for the same user) returns the same order, never a second one.',
      },
    },
    body: { schema, maxBytes: ORDER_BODY_LIMIT_BYTES, example },
    ok: {
      201: {
        description: `The order exists and its check was done: status is "${ORDER_STATUS_TEXT.denied}" or "${ORDER_STATUS_TEXT.inProgress}" for a buy, "${SELL_STATUS_TEXT.denied}" or "${SELL_STATUS_TEXT.inProgress}" for a sell; a limit order reserved at its limit is "${ORDER_STATUS_TEXT.open}" (or already In Progress when the latest price crosses it).`,
        body: orderViewSchema,
        headers: { Location: '/orders/{orderId}' },
        links: orderLinks,
      },
      202: {
        description: `The order is recorded and waits for its check: status "${ORDER_STATUS_TEXT.queued}" (phase queued). Its check and result follow on GET /orders/{id}/result?wait= and GET /events; a refusal at its turn (no fresh price then, the user gone) is answered there with its error.`,
        body: orderViewSchema,
        headers: { Location: '/orders/{orderId}' },
        links: orderLinks,
      },
    },
    errors: {
      409: "No fresh price for the stock (no_fresh_price, with the price's minute), or the market is closed (market_closed, with the next opening)",
      422: "Unknown user, unknown stock, a stock not on the watch list, a sell of a stock never held (no_holding), a limit outside yesterday's close ± PRICE_BAND (outside_price_band, with bandLow and bandHigh), limitPrice × quantity beyond an exact amount (amount_too_large), or an Idempotency-Key reused for another order",
    },
  });

const buyExample = { user: 'user2', stockid: '44891482026867833', quantity: 100 };

export const orderOperations = [
  placeOrder(
    'placeOrder',
    '/orders',
    'Place a buy or sell order; answers its check at once',
    orderRequestSchema,
    buyExample,
  ),
  placeOrder(
    'buyStock',
    '/BuyStock',
    'Place a buy order (the original endpoint: POST /orders without side)',
    marketOrderRequestSchema,
    buyExample,
  ),
  placeOrder(
    'sellStock',
    '/SellStock',
    "BuyStock's sell twin: POST /orders with side sell",
    marketOrderRequestSchema,
    { user: 'user2', stockid: '44891482026867833', quantity: 10 },
  ),
  op({
    operationId: 'cancelOrder',
    method: 'post',
    path: '/orders/:id/cancel',
    summary: 'Withdraw an order not yet decided: its verification is stopped and its reservation released',
    description:
      'Answers once the cancel took effect: the order, final, with status "' +
      ORDER_STATUS_TEXT.canceled +
      '". A second cancel answers the same. An order already decided (or decided while the cancel was on its ' +
      "way) is not changed: 409 order_final names its status. The order's user or an operator may cancel it.",
    tags: ['orders'],
    access: 'key',
    params: orderParams,
    ok: { 200: { description: 'The canceled order', body: orderViewSchema } },
    errors: {
      404: "No such order, or another user's order",
      409: 'The order is final already (order_final, with its status)',
      410: 'The order ended abnormally (terminated)',
    },
  }),
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
