// The read side: a user's orders (from the order read model), account, the tradable stocks, and the
// Server-Sent Events stream of order changes and new price ticks.
import { z } from 'zod';
import { ORDER_ID } from '../ids';
import { ORDER_STATUS_KEYWORD, ORDER_STATUS_TEXT, type OrderPhase } from '../orders';
import { docAs, integerText, stockIdText, userIdText } from '../schema';
import { op } from './operation';
import { orderSideValue, orderTypeValue, orderViewSchema } from './orders';

const PHASES = Object.keys(ORDER_STATUS_TEXT) as OrderPhase[];
/** `status=` takes a phase name (inProgress) or its Web UI keyword (InProgress): both name one phase. */
const STATUS_WORDS: Record<string, OrderPhase> = Object.fromEntries([
  ...PHASES.map((p): [string, OrderPhase] => [p, p]),
  ...PHASES.map((p): [string, OrderPhase] => [ORDER_STATUS_KEYWORD[p], p]),
]);

export const orderStatusFilter = docAs(
  z.string().transform((text, ctx) => {
    const phase = STATUS_WORDS[text];
    if (phase) return phase;
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${Object.keys(STATUS_WORDS).join(', ')}, not ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }),
  {
    type: 'string',
    enum: Object.keys(STATUS_WORDS),
    description:
      'Only orders now in this phase: a phase name or its OrderStatus keyword, e.g. inProgress or InProgress ' +
      `(${PHASES.map((p) => `${p}/${ORDER_STATUS_KEYWORD[p]} = "${ORDER_STATUS_TEXT[p]}"`).join('; ')})`,
  },
);

/** A page position: opaque to clients; inside, the list member `<receivedAt ms, 15 digits>|<orderId>`. */
const CURSOR_MEMBER = new RegExp(`^\\d{15}\\|${ORDER_ID.source.slice(1, -1)}$`);
export const encodeOrderCursor = (member: string) => Buffer.from(member, 'utf8').toString('base64url');

/** The position a cursor stands for, or undefined if it is not one this API gave out. */
export function decodeOrderCursor(text: string): string | undefined {
  const member = Buffer.from(text, 'base64url').toString('utf8');
  return CURSOR_MEMBER.test(member) ? member.toLowerCase() : undefined;
}

const orderCursorText = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the "nextCursor" of a previous page (1–200 base64url characters)')
  .meta({ description: 'The `nextCursor` of the previous page, as given' });

const operatorUser = userIdText.optional().meta({
  description: 'An operator key must name the user (else 403); a user key may name only itself',
});

const accountSchema = z.object({
  user: z.string(),
  credit: z.int().meta({ description: 'rials' }),
  reserved: z.int().meta({ description: 'rials held by orders still being verified' }),
  available: z.int().meta({ description: 'credit − reserved, from the same read' }),
  holdings: z.array(
    z.object({
      stockid: z.string(),
      name: z.string().optional().meta({ description: 'Absent when the store knows no name for it' }),
      quantity: z.int().meta({ description: 'Shares held' }),
      reserved: z
        .int()
        .meta({ description: 'Shares reserved by open sells (quantity − reserved may be sold)' }),
      costBasis: z.int().meta({ description: 'What the shares held cost, rials (average-cost method)' }),
      averageCost: z.number().meta({ description: 'costBasis ÷ quantity, rials per share (2 decimals)' }),
      latestPrice: z
        .int()
        .optional()
        .meta({ description: 'The latest tick’s price; absent while none exists' }),
      priceMinute: z
        .string()
        .optional()
        .meta({ format: 'date-time', description: 'The minute of that price' }),
      marketValue: z.int().optional().meta({ description: 'quantity × latestPrice, rials' }),
      unrealizedPnl: z.int().optional().meta({ description: 'marketValue − costBasis, rials' }),
    }),
  ),
  openOrders: z
    .array(
      z.object({
        orderId: z.string().meta({ format: 'uuid' }),
        stockid: z.string(),
        side: orderSideValue,
        type: orderTypeValue,
        phase: z.enum(['open', 'inProgress']),
        quantity: z.int(),
        limitPrice: z.int().optional(),
        reservedCredit: z.int().optional().meta({ description: 'A buy: rials it holds reserved' }),
        reservedShares: z.int().optional().meta({ description: 'A sell: shares it holds reserved' }),
      }),
    )
    .meta({
      description:
        'Undecided orders (Open limit orders and those In Progress), newest first, with what each holds ' +
        'reserved; as of the order read model (at most 500 per phase)',
    }),
  totals: z.object({
    costBasis: z.int(),
    marketValue: z.int().meta({ description: 'Over the holdings with a price' }),
    unrealizedPnl: z.int().meta({ description: 'Over the holdings with a price' }),
  }),
});

const stockSchema = z.object({
  stockid: z.string(),
  name: z.string().optional(),
  price: z.int().optional().meta({ description: 'The latest tick’s price, rials' }),
  minute: z.string().optional().meta({ format: 'date-time', description: 'The minute of that price' }),
});

const forbidden = 'A user key naming another user in user=, or an operator key naming none';

export const readOperations = [
  op({
    operationId: 'listOrders',
    method: 'get',
    path: '/orders',
    summary: "The key's user's orders, newest first, a page at a time",
    description:
      'Each item is the view GET /orders/{id} answers, as of the order-events read model (it lags the order by ' +
      'milliseconds). Newest first by receivedAt, then orderId. Pass `nextCursor` back as `cursor` for the next page; ' +
      'no `nextCursor` means the last page. With more than one of status, stockid, side and type a page may be shorter ' +
      'than limit and still carry `nextCursor`.',
    tags: ['orders'],
    access: 'key',
    query: z.strictObject({
      status: orderStatusFilter.optional(),
      stockid: stockIdText.optional(),
      side: orderSideValue.optional(),
      type: orderTypeValue.optional(),
      limit: integerText(1, 100, 'Orders per page, 1–100, default 20').optional(),
      cursor: orderCursorText.optional(),
      user: operatorUser,
    }),
    ok: {
      200: {
        description: 'A page of orders',
        body: z.object({
          orders: z.array(orderViewSchema),
          nextCursor: z.string().optional().meta({ description: 'The cursor of the next page' }),
        }),
      },
    },
    errors: { 403: forbidden, 422: 'A well-formed cursor this API did not give out (invalid_cursor)' },
  }),
  op({
    operationId: 'getAccount',
    method: 'get',
    path: '/account',
    summary:
      "The key's user's credit, reserved, available and positions (held, reserved by sells, cost, value, P&L)",
    tags: ['account'],
    access: 'key',
    query: z.strictObject({ user: operatorUser }),
    ok: { 200: { description: 'The account', body: accountSchema } },
    errors: { 403: forbidden, 404: 'No such user' },
  }),
  op({
    operationId: 'listStocks',
    method: 'get',
    path: '/stocks',
    summary: 'The tradable stocks (STOCKS and the watch list) with names and latest prices (public: no key)',
    tags: ['prices'],
    access: 'public',
    ok: { 200: { description: 'Sorted by stock id', body: z.object({ stocks: z.array(stockSchema) }) } },
  }),
  op({
    operationId: 'streamEvents',
    method: 'get',
    path: '/events',
    summary: "Server-Sent Events: the key's user's order changes and the watched stocks' new ticks",
    description:
      '`event: order` (id: the event id `<orderId>:<seq>`, data: the order view) for every state change of the ' +
      "user's orders; `event: price` (data: the tick) for every new minute of a watched stock; `: ping` every " +
      '15 s. Send Last-Event-ID to resume after an order event without a gap; if it is no longer held (about the ' +
      'last ORDER_EVENTS_STREAM_MAXLEN events per user are), the stream starts with `event: reset` and the ' +
      'client re-reads GET /orders. A client that leaves SSE_BUFFER_BYTES unread is disconnected; every ' +
      'connection ends after SSE_MAX_DURATION (reconnect with Last-Event-ID).',
    tags: ['orders'],
    access: 'user',
    headers: {
      'last-event-id': {
        schema: z.string().max(200, 'must be at most 200 characters'),
        description: 'The id of the last order event received',
      },
    },
    ok: {
      200: {
        description: 'The event stream',
        contentType: 'text/event-stream',
        schema: {
          type: 'object',
          description: 'One event: data is the order view, the tick, or the reset reason, as JSON text',
          properties: {
            event: { type: 'string', enum: ['order', 'price', 'reset'] },
            id: { type: 'string', description: 'Order events only: <orderId>:<seq>' },
            data: { type: 'string' },
          },
          required: ['event', 'data'],
        },
      },
    },
    errors: { 503: 'Too many open event streams on this API process (SSE_MAX_CLIENTS); retry another' },
  }),
];
