// What both sides of the priceFetch wire agree on: the workflow type, its input and result, and the
// activity interface the workflow proxies. Small payloads only: the stock list never crosses history.
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
}
