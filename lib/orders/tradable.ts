// When a stock may be bought: it is watched, the market is in session (with the calendar on), and its
// latest price is fresh (its minute no older than PRICE_MAX_AGE). The API checks before starting an
// order; the reservation activity checks the price it actually uses again, with the same rule.
import type { PriceTick } from '../contracts/price-tick';
import { isMarketMinute, nextMarketOpen, type MarketHours } from '../prices/market-calendar';
import type { StockFacts } from '../store/stock-facts';
import { OrderError } from './errors';

export interface TradeRules {
  /** How old (by its minute) the newest price may be. */
  priceMaxAgeMs: number;
  /** The trading session, when the market calendar is on. */
  session?: MarketHours;
}

/** The price rule alone: undefined when `tick` may price an order at `now`, else the refusal. */
export function stalePriceError(
  stockId: string,
  tick: Pick<PriceTick, 'minute'> | undefined,
  priceMaxAgeMs: number,
  now: number,
): OrderError | undefined {
  if (!tick) {
    return new OrderError(
      'conflict',
      'no_fresh_price',
      `no price recorded yet for stock ${stockId}; try again in a minute`,
      'stockid',
    );
  }
  const ageMs = now - Date.parse(tick.minute);
  if (ageMs <= priceMaxAgeMs) return undefined;
  return new OrderError(
    'conflict',
    'no_fresh_price',
    `the newest price of stock ${stockId} is for ${tick.minute}, older than ${priceMaxAgeMs / 1000} s: no order is priced with it`,
    'stockid',
    { priceMinute: tick.minute },
  );
}

/** Every rule in order; undefined when the stock may be bought at `now`. */
export function tradeError(facts: StockFacts, rules: TradeRules, now: number): OrderError | undefined {
  const { stockId } = facts;
  if (!facts.watched) {
    return facts.known || facts.tick
      ? new OrderError(
          'unprocessable',
          'not_tradable',
          `stock ${stockId} is not on the watch list: it cannot be traded`,
          'stockid',
        )
      : new OrderError('unprocessable', 'unknown_stock', `unknown stock ${stockId}`, 'stockid');
  }
  if (rules.session && !isMarketMinute(rules.session, new Date(now))) {
    const next = nextMarketOpen(rules.session, new Date(now));
    return new OrderError(
      'conflict',
      'market_closed',
      `the market is closed; it opens next at ${next?.toISOString() ?? 'no time in the coming week'}`,
      undefined,
      next ? { nextOpen: next.toISOString() } : {},
    );
  }
  return stalePriceError(stockId, facts.tick, rules.priceMaxAgeMs, now);
}
