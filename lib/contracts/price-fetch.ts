// What both sides of the priceFetch wire agree on: the workflow type, its input and result, and the
// activity interface the price workflows (priceFetch, priceBackfill) proxy. Small payloads only: the
// stock list never crosses history.
import type { PriceRange, PriceRangeResult } from '../prices/backfill-plan';

export const PRICE_FETCH_WORKFLOW = 'priceFetch';

export interface PriceFetchInput {
  /** The minute to fetch, ISO 8601 UTC. Omitted on scheduled runs: the run's scheduled time is used. */
  minute?: string;
}

export interface PriceFetchResult {
  minute: string;
  source: string;
  /** Stocks asked for and ticks published. */
  stocks: number;
  published: number;
}

export interface PriceActivities {
  fetchAndPublishPrices(input: { minute: string }): Promise<PriceFetchResult>;
  /**
   * Every market minute of [from, to): fetched and published, several minutes at once. Heartbeats the
   * first minute not yet done (RangeProgress); a retry resumes there.
   */
  fetchAndPublishRange(input: PriceRange): Promise<PriceRangeResult>;
}

/** fetchAndPublishRange's heartbeat details: `next` is the first minute not yet done; counts are before it. */
export interface RangeProgress {
  next: string;
  minutes: number;
  skipped: number;
  published: number;
}
