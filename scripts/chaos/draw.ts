// The orders a chaos run places, drawn from its seeded random source: buys and sells of shares the user
// holds, some withdrawn while open, some limit orders through or away from the market. The draws come
// in a fixed order, so a seed replays the same orders.
import type { LogicalOrder } from './clients';

/** The price the stock starts at (the run's opening tick). */
export const PRICE = 2_850;
/** Of the orders placed: sells (of shares the user holds), and those withdrawn while open. */
const SELL_SHARE = 0.3;
const CANCEL_SHARE = 0.2;
/** A cancel goes this long at most after the order is accepted: inside the verifier's 100–1500 ms. */
const CANCEL_WITHIN_MS = 1_200;
/**
 * Of the orders placed: limit orders (gtc). Half at a limit 1 % through the market (they fill at once or
 * on the next tick), half 3 % away (they wait, and their client withdraws them within LIMIT_CANCEL_WITHIN_MS).
 */
const LIMIT_SHARE = 0.25;
const LIMIT_CANCEL_WITHIN_MS = 20_000;

/** One order of `user`, its Idempotency-Key `key`; a limit is set against the latest price. */
export async function drawOrder(
  rng: () => number,
  user: string,
  key: string,
  latestPrice: () => Promise<number | undefined>,
): Promise<LogicalOrder> {
  const side = rng() < SELL_SHARE ? 'sell' : 'buy';
  const o: LogicalOrder = {
    user,
    key,
    side,
    quantity: 1 + Math.floor(rng() * (side === 'sell' ? 20 : 40)),
    attempts: 0,
    idDrift: 0,
  };
  if (rng() < CANCEL_SHARE) o.cancel = { afterMs: Math.floor(rng() * CANCEL_WITHIN_MS), attempts: 0 };
  if (rng() < LIMIT_SHARE) {
    const crossing = rng() < 0.5;
    // Through the market for a buy is above it, for a sell below it.
    const through = (side === 'buy' ? 1 : -1) * (crossing ? 0.01 : -0.03);
    const market = await latestPrice().catch(() => undefined);
    o.limitPrice = Math.round((market ?? PRICE) * (1 + through));
    if (!crossing) o.cancel = { afterMs: Math.floor(rng() * LIMIT_CANCEL_WITHIN_MS), attempts: 0 };
  }
  return o;
}
