// What both sides of the priceFetch wire agree on: the workflow type, its input and result, and what
// the price activities take and answer (their signatures are activities/price-activities.ts's, which
// the workflows proxy as a type). Small payloads only: the stock list never crosses history.

export const PRICE_FETCH_WORKFLOW = 'priceFetch';

/** Minutes of a range fetched and what was published, in total. */
export interface PriceRangeCounts {
  /** Minutes fetched and published (market minutes: with the `tsetmc` source, the TSE session only). */
  minutes: number;
  /** Minutes of the range outside the market session, not fetched. */
  skipped: number;
  /** Ticks published. */
  published: number;
}

/** A range of whole minutes, [from, to), ISO 8601 UTC. */
export interface PriceRange {
  from: string;
  to: string;
}

export type PriceRangeResult = PriceRange & PriceRangeCounts;

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

/** fetchAndPublishRange's heartbeat details: `next` is the first minute not yet done; counts are before it. */
export interface RangeProgress {
  next: string;
  minutes: number;
  skipped: number;
  published: number;
}
