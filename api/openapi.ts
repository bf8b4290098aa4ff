// The OpenAPI 3.1 document of the HTTP API, served at GET /openapi.json.
import { MAX_ORDER_QUANTITY, ORDER_BODY_LIMIT_BYTES, ORDER_STATUS_TEXT } from '../lib/contracts/orders';

// JavaScript cannot hold 44891482026867833 as a number; the served text has it, exactly.
const STOCK_ID_NUMBER = '__STOCK_ID_NUMBER__';

const error = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', examples: ['invalid_request'] },
    message: { type: 'string' },
    field: {
      type: 'string',
      description: 'The request field, header or parameter at fault',
      examples: ['quantity'],
    },
  },
};
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
/** What every operation behind an API key may also answer. */
const authResponses = {
  '401': {
    description: 'No API key, or not a valid one',
    headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer realm="bourse"' } },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  '429': {
    description: 'More than RATE_LIMIT_REQUESTS requests in RATE_LIMIT_WINDOW with this key',
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds until the window ends' } },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
};
const publicOp = { security: [] as never[] };
const operatorOnly = {
  description: 'Needs an operator key; a user key gets 403.',
};
const userId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$' },
};
const stockIdParam = {
  name: 'stockid',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^\\d{15,17}$' },
};

const orderId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};

const placeOrder = {
  summary: 'Place a buy order; answers the credit check at once',
  description:
    'Starts the order and answers as soon as its credit (latest price × quantity against credit − reserved) is ' +
    'checked and reserved. The user verification that decides the order runs afterwards; read its result with ' +
    'GET /orders/{id}/result?wait=. stockid is read exactly as written, as a JSON number or a string.',
  parameters: [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'A retried POST with the same key (for the same user) returns the same order, never a second one.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
  ],
  requestBody: {
    required: true,
    description: `application/json, at most ${ORDER_BODY_LIMIT_BYTES} bytes, exactly these fields.`,
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/OrderRequest' },
        example: { user: 'user2', stockid: STOCK_ID_NUMBER, quantity: 100 },
      },
    },
  },
  responses: {
    '201': {
      description: `The order exists and its credit was checked: status is "${ORDER_STATUS_TEXT.denied}" or "${ORDER_STATUS_TEXT.inProgress}".`,
      headers: { Location: { schema: { type: 'string' }, description: '/orders/{orderId}' } },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
    },
    ...authResponses,
    '400': errorResponse('Malformed JSON, missing/extra/duplicate fields, wrong types, a bad quantity'),
    '403': errorResponse('"user" is not the API key\'s user, or the key is an operator key'),
    '413': errorResponse('Body too large'),
    '415': errorResponse('Content-Type is not application/json'),
    '422': errorResponse(
      'Unknown user, unknown stock, no price yet, or an Idempotency-Key reused for another order',
    ),
    '503': {
      description:
        'Temporal, the worker or Redis did not answer within ORDER_START_TIMEOUT (retry with the same Idempotency-Key), or ORDER_MAX_IN_FLIGHT orders were already waiting (error "overloaded": nothing was started; retry after Retry-After).',
      headers: {
        'Retry-After': { schema: { type: 'integer' } },
        'X-Order-Id': { schema: { type: 'string' }, description: 'The id the order has if it was started' },
      },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    },
  },
};

const document = {
  openapi: '3.1.0',
  info: {
    title: 'bourse',
    version: '0.1.0',
    description: 'A durable stock-trading backend for the Tehran Stock Exchange.',
  },
  paths: {
    '/orders': { post: { ...placeOrder, operationId: 'placeOrder' } },
    '/BuyStock': {
      post: {
        ...placeOrder,
        operationId: 'buyStock',
        summary: 'Alias of POST /orders (the original endpoint)',
      },
    },
    '/orders/{id}': {
      get: {
        operationId: 'getOrder',
        summary: "An order's current state",
        parameters: [orderId],
        responses: {
          '200': {
            description: 'The order',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
          },
          ...authResponses,
          '400': errorResponse('Not an order id'),
          '404': errorResponse("No such order, or another user's order"),
          '503': errorResponse('Temporal or the worker did not answer'),
        },
      },
    },
    '/orders/{id}/result': {
      get: {
        operationId: 'awaitOrderResult',
        summary:
          "Long poll: the order's final result the moment it exists, or its current state when the wait ends",
        parameters: [
          orderId,
          {
            name: 'wait',
            in: 'query',
            required: false,
            description: 'Seconds to wait for the final result (default and maximum: RESULT_WAIT_MAX, 60 s).',
            schema: { type: 'number', minimum: 0, maximum: 60 },
          },
        ],
        responses: {
          '200': {
            description:
              'final = true: the result; final = false: the wait ran out, this is the current state',
            content: {
              'application/json': {
                schema: {
                  allOf: [
                    { $ref: '#/components/schemas/Order' },
                    { type: 'object', properties: { waitedMs: { type: 'integer' } } },
                  ],
                },
              },
            },
          },
          ...authResponses,
          '400': errorResponse('Not an order id, or a bad wait'),
          '404': errorResponse("No such order, or another user's order"),
        },
      },
    },
    '/admin/users/{id}': {
      put: {
        ...operatorOnly,
        operationId: 'loadUserCredit',
        summary: 'Create a user or set its credit (rials); what orders hold reserved stays',
        parameters: [userId],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['credit'],
                properties: { credit: { type: 'integer', minimum: 0, maximum: 1e15 } },
              },
              example: { credit: 150000000 },
            },
          },
        },
        responses: {
          '200': { description: '{ user, credit, reserved }' },
          ...authResponses,
          '400': errorResponse('Bad user id or credit'),
          '403': errorResponse('Not an operator key'),
        },
      },
    },
    '/admin/users/{id}/keys': {
      post: {
        ...operatorOnly,
        operationId: 'issueUserKey',
        summary: 'Issue a new API key for a user; the key is shown once, only its hash is kept',
        parameters: [userId],
        responses: {
          '201': { description: '{ user, key }' },
          ...authResponses,
          '403': errorResponse('Not an operator key'),
          '404': errorResponse('No such user'),
        },
      },
    },
    '/admin/watchlist': {
      get: {
        ...operatorOnly,
        operationId: 'getWatchList',
        summary: 'The stock ids the price fetcher follows',
        responses: {
          '200': { description: '{ stocks: [...] }' },
          ...authResponses,
          '403': errorResponse('Not an operator key'),
        },
      },
    },
    '/admin/watchlist/{stockid}': {
      put: {
        ...operatorOnly,
        operationId: 'watchStock',
        summary: 'Add a stock to the watch list',
        parameters: [stockIdParam],
        responses: {
          '200': { description: 'already there' },
          '201': { description: 'added' },
          ...authResponses,
          '403': errorResponse('Not an operator key'),
        },
      },
      delete: {
        ...operatorOnly,
        operationId: 'unwatchStock',
        summary: 'Remove a stock from the watch list',
        parameters: [stockIdParam],
        responses: {
          '200': { description: 'removed' },
          ...authResponses,
          '403': errorResponse('Not an operator key'),
          '404': errorResponse('Not on the list'),
        },
      },
    },
    '/stocks/{id}/prices': {
      get: {
        ...publicOp,
        operationId: 'getPriceHistory',
        summary: "A stock's minute price history, oldest first (public market data: no key)",
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{15,17}$' } },
          { name: 'from', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
          { name: 'to', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
        ],
        responses: {
          '200': { description: '{ stockId, from, to, count, prices }' },
          '400': errorResponse('Bad id, from or to'),
          '404': errorResponse('No prices recorded for this stock'),
        },
      },
    },
    '/stocks/{id}/price': {
      get: {
        ...publicOp,
        operationId: 'getLatestPrice',
        summary: "A stock's latest price tick (public market data: no key)",
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{15,17}$' } },
        ],
        responses: { '200': { description: 'The latest tick' }, '404': errorResponse('No prices recorded') },
      },
    },
    '/healthz': {
      get: { ...publicOp, summary: 'The process lives', responses: { '200': { description: 'ok' } } },
    },
    '/readyz': {
      get: {
        ...publicOp,
        summary: 'Temporal, Kafka and Redis answer',
        responses: { '200': { description: 'ready' }, '503': { description: 'a service is down' } },
      },
    },
    '/openapi.json': {
      get: { ...publicOp, summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
    },
    '/metrics': {
      get: {
        ...publicOp,
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'text exposition format' } },
      },
    },
  },
  // Every operation needs an API key unless it says `security: []` (health, metrics, this document).
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
    schemas: {
      Error: error,
      OrderRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['user', 'stockid', 'quantity'],
        properties: {
          user: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$', examples: ['user2'] },
          stockid: {
            oneOf: [
              { type: 'integer', description: 'Read exactly, even beyond 2^53' },
              { type: 'string', pattern: '^\\d{15,17}$' },
            ],
            description: 'TSE instrument code, 15–17 digits',
            examples: [STOCK_ID_NUMBER, '44891482026867833'],
          },
          quantity: { type: 'integer', minimum: 1, maximum: MAX_ORDER_QUANTITY },
        },
      },
      Order: {
        type: 'object',
        required: [
          'orderId',
          'user',
          'stockid',
          'quantity',
          'status',
          'phase',
          'final',
          'receivedAt',
          'updatedAt',
        ],
        properties: {
          orderId: { type: 'string', format: 'uuid' },
          user: { type: 'string' },
          stockid: { type: 'string', description: 'Always a string of digits in answers' },
          quantity: { type: 'integer' },
          status: { type: 'string', enum: Object.values(ORDER_STATUS_TEXT) },
          phase: { type: 'string', enum: Object.keys(ORDER_STATUS_TEXT) },
          final: { type: 'boolean' },
          price: { type: 'integer', description: 'Latest price the credit check used, rials' },
          amount: { type: 'integer', description: 'price × quantity, rials' },
          reason: { type: 'string', description: 'Why an order failed' },
          receivedAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

/** The document as JSON text, with the 17-digit example stock id as a real JSON number. */
export const openApiJson = JSON.stringify(document, null, 2).replaceAll(
  JSON.stringify(STOCK_ID_NUMBER),
  '44891482026867833',
);
