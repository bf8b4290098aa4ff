// The configured price source.
import type { Config } from '../../infra/config';
import type { Logger } from '../../infra/logger';
import { createSimulatedSource } from './simulated';
import type { PriceSource } from './source';
import { createTsetmcSource } from './tsetmc';

export type { PriceSource } from './source';

export function createPriceSource(cfg: Config, log: Logger): PriceSource {
  switch (cfg.PRICE_SOURCE) {
    case 'simulated':
      return createSimulatedSource();
    case 'tsetmc':
      return createTsetmcSource({
        baseUrl: cfg.TSETMC_BASE_URL,
        timeoutMs: cfg.TSETMC_TIMEOUT,
        maxAttempts: cfg.TSETMC_MAX_ATTEMPTS,
        retryBaseMs: cfg.TSETMC_RETRY_BASE,
        concurrency: cfg.TSETMC_CONCURRENCY,
        timezone: cfg.MARKET_TIMEZONE,
        log: log.child({ source: 'tsetmc' }),
      });
  }
}
