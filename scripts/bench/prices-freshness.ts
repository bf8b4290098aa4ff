// `npm run bench`'s freshness figure: for the live schedule, the delay from each scheduled minute to
// its ticks in Redis.
import type { Config } from '../../lib/infra/config';
import { createRedis } from '../../lib/infra/redis';
import { priceIndexKey } from '../../lib/store/keys';
import { say, sleep, stats, type Stats } from './bench-lib';
import { MINUTE } from './prices-common';

export interface FreshnessFigures {
  stocks: number;
  minutesObserved: number;
  /** Scheduled minute → tick readable in Redis, per (stock, minute); resolution: the poll interval. */
  delayMs: Stats;
  pollIntervalMs: number;
  missing: number;
}

/**
 * The live schedule: for each of the next `minutes` minute boundaries M, polls Redis every
 * `pollMs` for each stock's tick of minute M and records when it first became readable, minus M.
 */
export async function benchFreshness(
  cfg: Config,
  { stocks, minutes, pollMs = 50 }: { stocks: string[]; minutes: number; pollMs?: number },
): Promise<FreshnessFigures> {
  const redis = createRedis(cfg);
  const delays: number[] = [];
  let missing = 0;
  for (let k = 0; k < minutes; k++) {
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    say(`freshness: waiting for minute ${new Date(minute).toISOString()} (${k + 1}/${minutes})`);
    await sleep(minute - Date.now() - 200);
    const pending = new Set(stocks);
    while (pending.size > 0 && Date.now() < minute + 55_000) {
      const ids = [...pending];
      const p = redis.pipeline();
      for (const id of ids) p.zcount(priceIndexKey(id), minute, minute);
      const res = (await p.exec()) ?? [];
      const now = Date.now();
      ids.forEach((id, i) => {
        if (Number(res[i]?.[1]) > 0) {
          pending.delete(id);
          delays.push(now - minute);
        }
      });
      await sleep(pollMs);
    }
    missing += pending.size;
  }
  redis.disconnect();
  return {
    stocks: stocks.length,
    minutesObserved: minutes,
    delayMs: stats(delays),
    pollIntervalMs: pollMs,
    missing,
  };
}
