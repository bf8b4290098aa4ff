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

/** The fields of a tick in the schema's order (the order zod's output, and so the history, has). */
const TICK_KEYS = Object.keys(priceTickSchema.shape) as (keyof PriceTick)[];
/** The very pattern `z.iso.datetime()` above checks (a unit test holds them equal). */
export const ISO_DATETIME = z.regexes.datetime({});

const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isIsoDateTime = (v: unknown) => typeof v === 'string' && ISO_DATETIME.test(v);

/**
 * `priceTickSchema`'s verdict on a JSON.parse result, without zod: the tick if the schema accepts
 * `value`, else undefined (ask `priceTickSchema.safeParse` why; test/unit/price-tick-fast.test.ts holds
 * the two verdicts identical on a corpus of good and bad ticks). A value with exactly the tick's fields
 * is returned as it is (nothing built); one with more gets a copy of the tick's fields, in the schema's
 * order, as zod strips unknown keys.
 */
export function readPriceTick(value: unknown): PriceTick | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const ok =
    typeof v.stockId === 'string' &&
    STOCK_ID.test(v.stockId) &&
    isIsoDateTime(v.minute) &&
    isPositiveInt(v.price) &&
    isPositiveInt(v.last) &&
    isPositiveInt(v.open) &&
    isPositiveInt(v.low) &&
    isPositiveInt(v.high) &&
    isPositiveInt(v.yesterday) &&
    isCount(v.trades) &&
    isCount(v.volume) &&
    typeof v.value === 'number' &&
    Number.isFinite(v.value) &&
    v.value >= 0 &&
    (v.source === 'simulated' || v.source === 'tsetmc') &&
    isIsoDateTime(v.fetchedAt);
  if (!ok) return undefined;
  let own = 0;
  for (const k in v) if (Object.hasOwn(v, k)) own++;
  if (own === TICK_KEYS.length) return v as PriceTick;
  const tick: Record<string, unknown> = {};
  for (const k of TICK_KEYS) tick[k] = v[k];
  return tick as PriceTick;
}

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
