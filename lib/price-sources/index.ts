// The configured price source.
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createSimulatedSource } from './simulated';
import type { PriceSource } from './source';

export type { PriceSource } from './source';

export function createPriceSource(cfg: Config, _log: Logger): PriceSource {
  switch (cfg.PRICE_SOURCE) {
    case 'simulated':
      return createSimulatedSource();
    case 'tsetmc':
      throw new Error('tsetmc source not implemented yet');
  }
}
