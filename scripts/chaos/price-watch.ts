// Price availability during a chaos run: for every minute of the schedule, how long after the minute was
// due its price was stored for every stock (watched in Redis once a second). The longest of these is
// the run's worst price gap: what a reader of `latest` saw as the staleness an outage caused.
import type { Redis } from '../../lib/infra/redis';
import { priceIndexKey } from '../../lib/store/keys';
import { sleep } from '../wait';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

export interface PriceLag {
  /** Minutes watched (due while the watch ran). */
  minutes: number;
  /** The longest time from a minute being due to its price stored for every stock, in ms. */
  longestMs: number;
  /** The minute with that lag (ISO), if any. */
  worstMinute?: string;
  /** Minutes still not stored for every stock when the watch stopped (their lag counts up to then). */
  missing: number;
  /** Median lag, in ms: what one minute costs without an outage. */
  medianMs: number;
}

export interface PriceWatch {
  /** Stops watching and reports the lags of the minutes due from `from` up to `until`. */
  stop(until: number): Promise<PriceLag>;
}

/** Starts watching the minutes due from `from` (the schedule's creation) on. */
export function watchPrices(redis: Redis, stocks: readonly string[], from: number): PriceWatch {
  const stored = new Map<number, number>();
  let next = Math.ceil(from / MINUTE) * MINUTE;
  let running = true;
  const pending = (now: number) => {
    const out: number[] = [];
    for (let m = next; m <= now; m += MINUTE) if (!stored.has(m)) out.push(m);
    return out;
  };
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      for (const m of pending(now)) {
        try {
          const scores = await Promise.all(stocks.map((s) => redis.zscore(priceIndexKey(s), iso(m))));
          if (scores.every((s) => s !== null)) stored.set(m, Date.now());
        } catch {
          // Redis down: this minute is looked at again next round, its lag growing meanwhile.
        }
      }
      while (stored.has(next)) next += MINUTE;
      await sleep(1_000);
    }
  })();
  return {
    async stop(until) {
      running = false;
      await loop;
      const now = Date.now();
      const lags: [number, number][] = [];
      let missing = 0;
      for (let m = Math.ceil(from / MINUTE) * MINUTE; m <= until; m += MINUTE) {
        const at = stored.get(m);
        if (at === undefined) missing++;
        lags.push([m, (at ?? now) - m]);
      }
      const worst = lags.reduce<[number, number] | undefined>(
        (w, l) => (!w || l[1] > w[1] ? l : w),
        undefined,
      );
      const sorted = lags.map((l) => l[1]).sort((a, b) => a - b);
      return {
        minutes: lags.length,
        longestMs: worst?.[1] ?? 0,
        worstMinute: worst ? iso(worst[0]) : undefined,
        missing,
        medianMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0,
      };
    },
  };
}
