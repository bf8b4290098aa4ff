// Wakes open limit orders from the price stream: for each fresh tick the price consumer stored, one
// range read per side of the stock's limit book finds the orders it crosses, and each order's workflow
// gets a `priceCrossed` signal. Runs inside the consumer's write, before the offset is committed: a
// failed signal rejects the write, Kafka redelivers the ticks (rewritten idempotently) and the signals
// go again, so every crossing is signalled at least once; the workflow ignores a repeat. A redelivered
// tick older than PRICE_MAX_AGE signals nothing, which bounds how long a Temporal outage can hold a
// partition up.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { buyOrderWorkflowId, priceCrossedSignal, type PriceCrossing } from '../contracts/orders';
import type { PriceTick } from '../contracts/price-tick';
import type { Logger } from '../infra/logger';
import type { Redis } from '../infra/redis';
import { crossedLimitOrders } from '../store/limit-book';
import { stalePriceError } from './tradable';

/** Signals sent at once: enough to keep the server busy without a burst of thousands of streams. */
const SIGNALS_IN_FLIGHT = 32;

export interface LimitWaker {
  /** Signals every open limit order a fresh tick among `ticks` crosses; resolves to how many were signalled. */
  wake(ticks: readonly PriceTick[]): Promise<number>;
}

export function createLimitWaker(deps: {
  redis: Redis;
  temporal: Client;
  priceMaxAgeMs: number;
  log: Logger;
}): LimitWaker {
  const { redis, temporal, priceMaxAgeMs, log } = deps;
  return {
    async wake(ticks) {
      const now = Date.now();
      const fresh = ticks
        .filter((t) => !stalePriceError(t.stockId, t, priceMaxAgeMs, now))
        .sort((a, b) => Date.parse(a.minute) - Date.parse(b.minute));
      if (fresh.length === 0) return 0;
      const crossed = await Promise.all(fresh.map((t) => crossedLimitOrders(redis, t.stockId, t.price)));
      // One signal per order per call: the oldest fresh tick that crosses it (the workflow takes the first).
      const jobs = new Map<string, PriceCrossing>();
      fresh.forEach((t, i) => {
        const { buy, sell } = crossed[i];
        for (const orderId of [...buy, ...sell]) {
          if (!jobs.has(orderId)) jobs.set(orderId, { price: t.price, minute: t.minute });
        }
      });
      if (jobs.size === 0) return 0;
      const queue = [...jobs];
      const failures: Error[] = [];
      const signalOne = async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const [orderId, crossing] = job;
          try {
            await temporal.workflow
              .getHandle(buyOrderWorkflowId(orderId))
              .signal(priceCrossedSignal, crossing);
          } catch (err) {
            // An order that closed meanwhile needs no wake-up (it took itself off the book on its way out).
            if (!(err instanceof WorkflowNotFoundError)) failures.push(err as Error);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(SIGNALS_IN_FLIGHT, queue.length) }, signalOne));
      if (failures.length > 0) {
        throw new Error(
          `${failures.length} of ${jobs.size} limit orders not signalled (${failures[0].message}); the ticks are redelivered`,
        );
      }
      log.info('limit orders woken', {
        orders: jobs.size,
        stocks: [...new Set(fresh.map((t) => t.stockId))],
      });
      return jobs.size;
    },
  };
}
