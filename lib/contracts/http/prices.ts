// The price operations: public market data read from the Redis price history.
import { z } from 'zod';
import { priceTickSchema } from '../price-tick';
import { dateTimeText, stockIdText } from '../schema';
import { op, type Operation } from './operation';

/** Every price operation: public market data. */
const priceOp = <const O extends Omit<Operation, 'tags' | 'access'>>(o: O) =>
  op({ ...o, tags: ['prices'], access: 'public' });

const tick = priceTickSchema;
const stockParams = z.object({ id: stockIdText });

export const priceOperations = [
  priceOp({
    operationId: 'getPriceHistory',
    method: 'get',
    path: '/stocks/:id/prices',
    summary: "A stock's minute price history, oldest first (public market data: no key)",
    description:
      'from and to are RFC 3339 date-times, both included; default the last hour (or the hour after from). A range longer than 7 days is cut to its first 7 (truncated: true, to says where); from after to is an empty range.',
    params: stockParams,
    query: z.strictObject({ from: dateTimeText.optional(), to: dateTimeText.optional() }),
    ok: {
      200: {
        description: 'The minutes in [from, to] that have a price',
        body: z.object({
          stockId: z.string(),
          from: z.string().meta({ format: 'date-time' }),
          to: z.string().meta({ format: 'date-time' }),
          truncated: z
            .literal(true)
            .optional()
            .meta({ description: 'The range asked for was longer than 7 days' }),
          count: z.int(),
          prices: z.array(tick),
        }),
      },
    },
    errors: { 404: 'No prices recorded for this stock' },
  }),
  priceOp({
    operationId: 'getLatestPrice',
    method: 'get',
    path: '/stocks/:id/price',
    summary: "A stock's latest price tick (public market data: no key)",
    params: stockParams,
    ok: { 200: { description: 'The newest minute recorded', body: tick } },
    errors: { 404: 'No prices recorded for this stock' },
  }),
];
