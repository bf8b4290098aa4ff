// New price ticks for the SSE clients of one API process: while anyone listens, the watched stocks'
// latest ticks are read every SSE_PRICE_POLL (one pipelined round trip) and each newer minute is handed
// to every listener. One reader per process, however many clients: Redis, written by the price
// consumer, is the shared medium, so every API replica sees every tick.
import type { PriceTick } from '../contracts/price-tick';
import type { Config } from '../infra/config';
import type { Logger } from '../infra/logger';
import type { Redis } from '../infra/redis';
import { latestTicks } from './stock-list';
import { watchedStocks } from './watch-list';

export type TickListener = (tick: PriceTick) => void;

export interface PriceTicker {
  /** Calls `listener` with each new tick from now on; returns how to stop. */
  subscribe(listener: TickListener): () => void;
  close(): void;
}

export function createPriceTicker(
  redis: Redis,
  cfg: Pick<Config, 'STOCKS' | 'SSE_PRICE_POLL'>,
  log: Logger,
): PriceTicker {
  const listeners = new Set<TickListener>();
  /** Stock id → the newest minute already handed out (or seen when polling began). */
  const seen = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  async function poll(first: boolean): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      const ids = await watchedStocks(redis, cfg);
      const ticks = await latestTicks(redis, ids);
      for (const [id, tick] of ticks) {
        if (!tick) continue;
        const before = seen.get(id);
        if (before !== undefined && before >= tick.minute) continue;
        seen.set(id, tick.minute);
        if (first && before === undefined) continue;
        for (const l of listeners) l(tick);
      }
    } catch (err) {
      log.warn('price ticker poll failed', { err: (err as Error).message });
    } finally {
      polling = false;
    }
  }

  const start = () => {
    seen.clear();
    void poll(true);
    timer = setInterval(() => void poll(false), cfg.SSE_PRICE_POLL);
    timer.unref();
  };
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!timer) start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
