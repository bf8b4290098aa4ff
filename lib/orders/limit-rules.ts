// The rules a limit order meets when it is placed: TSE's daily price band around yesterday's close, and
// when its time in force ends. The API applies both before the order exists; the workflow only waits.
import type { LimitTerms, TimeInForce } from '../contracts/orders';
import type { Config } from '../infra/config';
import type { Redis } from '../infra/redis';
import { marketHours, sessionCloseAfter, startOfLocalDay, tradingSession } from '../prices/market-calendar';
import { readSurvivingFailover } from '../store/cluster';
import { readLastTickBefore, readLatestTick } from '../store/price-history';
import { OrderError } from './errors';

export type LimitConfig = Pick<
  Config,
  | 'PRICE_BAND'
  | 'LIMIT_ORDER_MAX_AGE'
  | 'PRICE_SOURCE'
  | 'MARKET_CALENDAR'
  | 'MARKET_TIMEZONE'
  | 'MARKET_DAYS'
  | 'MARKET_OPEN'
  | 'MARKET_CLOSE'
>;

/** The band a limit must lie in: [low, high] whole rials around `close`. */
export function priceBand(close: number, bandPercent: number): { low: number; high: number } {
  return {
    low: Math.ceil((close * (100 - bandPercent)) / 100),
    high: Math.floor((close * (100 + bandPercent)) / 100),
  };
}

/**
 * Yesterday's close: the newest stored tick before today's first minute in MARKET_TIMEZONE. A stock
 * with no tick before today (new, or its history trimmed) is banded around its latest tick instead.
 */
export async function referenceClose(
  redis: Redis,
  cfg: Pick<Config, 'MARKET_TIMEZONE'>,
  stockId: string,
  now: Date,
): Promise<number | undefined> {
  const today = startOfLocalDay(cfg.MARKET_TIMEZONE, now);
  const tick =
    (await readSurvivingFailover(redis, (r) => readLastTickBefore(r, stockId, today))) ??
    (await readSurvivingFailover(redis, (r) => readLatestTick(r, stockId)));
  return tick?.price;
}

/** Refuses a limit outside the band: 422 outside_price_band naming both ends. */
export async function checkPriceBand(
  redis: Redis,
  cfg: LimitConfig,
  o: { stockId: string; limitPrice: number },
  now: Date,
): Promise<void> {
  const close = await referenceClose(redis, cfg, o.stockId, now);
  if (close === undefined) return; // no price at all: the precheck refuses it (no_fresh_price)
  const { low, high } = priceBand(close, cfg.PRICE_BAND);
  if (o.limitPrice >= low && o.limitPrice <= high) return;
  throw new OrderError(
    'unprocessable',
    'outside_price_band',
    `limitPrice ${o.limitPrice} is outside today's price band ${low}–${high} rials (${close} ± ${cfg.PRICE_BAND}%)`,
    'limitPrice',
    { bandLow: low, bandHigh: high, closePrice: close },
  );
}

/**
 * When a limit order placed at `at` expires unfilled: a day order at the session's close (the market
 * calendar's days; with the calendar off, the next MARKET_CLOSE in MARKET_TIMEZONE, any day), a gtc
 * order LIMIT_ORDER_MAX_AGE after it was placed.
 */
export function limitExpiry(cfg: LimitConfig, timeInForce: TimeInForce, at: Date): Date {
  const gtc = new Date(at.getTime() + cfg.LIMIT_ORDER_MAX_AGE);
  if (timeInForce === 'gtc') return gtc;
  const session = tradingSession(cfg) ?? {
    ...marketHours(cfg),
    days: ['sat', 'sun', 'mon', 'tue', 'wed', 'thu', 'fri'] as const,
  };
  return sessionCloseAfter(session, at) ?? gtc;
}

/** The terms the workflow gets: the price, the time in force (day by default) and its end. */
export function limitTerms(
  cfg: LimitConfig,
  req: { limitPrice: number; timeInForce?: TimeInForce },
  at: Date,
): LimitTerms {
  const timeInForce = req.timeInForce ?? 'day';
  return {
    limitPrice: req.limitPrice,
    timeInForce,
    expiresAt: limitExpiry(cfg, timeInForce, at).toISOString(),
  };
}
