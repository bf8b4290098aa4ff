// The price tick: what crosses Kafka `stock-prices` and what the Redis history holds per (stock, minute).
import { z } from 'zod';

export const STOCK_ID = /^\d{15,17}$/;

export const priceTickSchema = z.object({
  stockId: z.string().regex(STOCK_ID),
  /** The minute this price is for, ISO 8601 UTC at :00 seconds. */
  minute: z.iso.datetime(),
  /** Closing (weighted) price, rials: the price the credit check uses. */
  price: z.number().int().positive(),
  last: z.number().int().positive(),
  open: z.number().int().positive(),
  low: z.number().int().positive(),
  high: z.number().int().positive(),
  yesterday: z.number().int().positive(),
  trades: z.number().int().min(0),
  volume: z.number().int().min(0),
  value: z.number().min(0),
  source: z.enum(['simulated', 'tsetmc']),
  fetchedAt: z.iso.datetime(),
});

export type PriceTick = z.infer<typeof priceTickSchema>;

/** A tick with one price in every field, for the current minute: demo, test and bench prices. */
export function flatTick(stockId: string, price: number, now = new Date()): PriceTick {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
  return {
    stockId,
    minute,
    price,
    last: price,
    open: price,
    low: price,
    high: price,
    yesterday: price,
    trades: 1,
    volume: 1,
    value: price,
    source: 'simulated',
    fetchedAt: now.toISOString(),
  };
}
