// The prices task queue's activities: fetch one minute's prices from the source and publish them.
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../lib/logger';
import type { PriceActivities } from '../lib/price-fetch-contract';
import type { PricePublisher } from '../lib/price-publisher';
import type { PriceSource } from '../lib/price-sources/source';

export interface PriceActivityDeps {
  source: PriceSource;
  publisher: PricePublisher;
  /** The stocks to fetch, asked at each run (the watch list may change between minutes). */
  watchList: () => Promise<string[]>;
  log: Logger;
}

export function createPriceActivities(deps: PriceActivityDeps): PriceActivities {
  return {
    async fetchAndPublishPrices({ minute }) {
      const at = new Date(minute);
      if (Number.isNaN(at.getTime()) || at.getTime() % 60_000 !== 0) {
        throw ApplicationFailure.nonRetryable(`not a whole minute: ${minute}`, 'InvalidMinute');
      }
      const stocks = await deps.watchList();
      const started = Date.now();
      const ticks = await deps.source.pricesAt(stocks, at);
      await deps.publisher.publish(ticks);
      const result = {
        minute: at.toISOString(),
        source: deps.source.name,
        stocks: stocks.length,
        published: ticks.length,
      };
      deps.log.info('prices published', { ...result, ms: Date.now() - started });
      return result;
    },
  };
}
