// The one interface every price source answers: "prices of these stocks at minute M".
import type { PriceTick } from '../../contracts/price-tick';

export interface PriceSource {
  readonly name: PriceTick['source'];
  /**
   * The ticks of `stockIds` at `minute` (a Date at :00 seconds). A past minute yields that minute's
   * price, not today's. A stock the source has no price for is left out, never invented; a transient
   * failure of the source throws (the caller retries).
   */
  pricesAt(stockIds: readonly string[], minute: Date): Promise<PriceTick[]>;
}

export const MINUTE_MS = 60_000;

/** The minute `t` falls in, as a Date at :00.000. */
export function floorToMinute(t: Date | number): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS);
}
