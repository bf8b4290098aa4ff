// The prices task queue's activities: fetch a minute's prices from the source and publish them — one
// minute (the schedule's priceFetch runs) or a range of minutes (priceBackfill's blocks).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from '../lib/infra/logger';
import type { PriceFetchMetrics } from '../lib/prices/metrics';
import type {
  PriceFetchResult,
  PriceRange,
  PriceRangeResult,
  RangeProgress,
} from '../lib/contracts/price-fetch';
import type { PricePublisher } from '../lib/prices/publisher';
import { MINUTE_MS, type PriceSource } from '../lib/prices/sources/source';

export interface PriceActivityDeps {
  source: PriceSource;
  publisher: PricePublisher;
  /** The stocks to fetch, asked at each run (the watch list may change between minutes). */
  watchList: () => Promise<string[]>;
  /** Whether the schedule fires on a minute (priceMinuteRule in lib/market-calendar.ts): a range fetches only those. */
  isPriceMinute: (minute: Date) => boolean;
  log: Logger;
  /**
   * Minutes of a range fetched and published at once. The process's one Kafka sender sends what is
   * queued while its request is in flight together, so a few minutes in flight keep its requests full.
   */
  rangeConcurrency?: number;
  /** Ticks fetched/published by source, source errors by kind, minutes by mode. */
  metrics?: PriceFetchMetrics;
}

const RANGE_CONCURRENCY = 8;
/** Heartbeats at least this often while a range runs, however slow one minute is (the SDK throttles them). */
const HEARTBEAT_EVERY_MS = 5_000;
/** A scheduled minute fetched later than this after its end was caught up (the schedule's catch-up). */
const CAUGHT_UP_AFTER_MS = 2 * MINUTE_MS;

/** A source failure's kind as a label: the TSETMC client's own kinds (blocked, block_page, timeout…). */
function errorKind(err: unknown): string {
  const kind = (err as { kind?: unknown } | null)?.kind;
  if (typeof kind === 'string' && /^[a-z_]{1,32}$/.test(kind)) return kind;
  const name = (err as Error | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'other';
}

function wholeMinute(field: string, value: string, type: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime()) || at.getTime() % MINUTE_MS !== 0) {
    throw ApplicationFailure.nonRetryable(`${field}: not a whole minute: ${value}`, type);
  }
  return at;
}

/** The progress a previous attempt heartbeated, if it is one of this range; else undefined. */
function resumePoint(details: unknown, fromMs: number, toMs: number): RangeProgress | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const d = details as Partial<Record<keyof RangeProgress, unknown>>;
  const nextMs = typeof d.next === 'string' ? Date.parse(d.next) : NaN;
  const counts = [d.minutes, d.skipped, d.published];
  if (!(nextMs >= fromMs && nextMs <= toMs && nextMs % MINUTE_MS === 0)) return undefined;
  if (!counts.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) return undefined;
  return details as RangeProgress;
}

export function createPriceActivities(deps: PriceActivityDeps) {
  /** One minute's prices of `stocks`, fetched and published; the number of ticks published. */
  async function publishMinute(stocks: readonly string[], at: Date): Promise<number> {
    const m = deps.metrics;
    const source = deps.source.name;
    let ticks;
    try {
      ticks = await deps.source.pricesAt(stocks, at);
    } catch (err) {
      m?.sourceErrors.inc({ source, kind: errorKind(err) });
      throw err;
    }
    m?.ticksFetched.inc({ source }, ticks.length);
    await deps.publisher.publish(ticks);
    m?.ticksPublished.inc({ source }, ticks.length);
    return ticks.length;
  }

  return {
    /** The minute's prices of every watched stock, fetched and published. */
    async fetchAndPublishPrices({ minute }: { minute: string }): Promise<PriceFetchResult> {
      const at = wholeMinute('minute', minute, 'InvalidMinute');
      const stocks = await deps.watchList();
      const started = Date.now();
      const published = await publishMinute(stocks, at);
      const late = Date.now() - (at.getTime() + MINUTE_MS) > CAUGHT_UP_AFTER_MS;
      deps.metrics?.minutes.inc({ mode: late ? 'caught_up' : 'on_time' });
      const result = {
        minute: at.toISOString(),
        source: deps.source.name,
        stocks: stocks.length,
        published,
      };
      deps.log.info('prices published', { ...result, ms: Date.now() - started });
      return result;
    },

    /**
     * Every market minute of [from, to): fetched and published, several minutes at once. Heartbeats the
     * first minute not yet done (RangeProgress); a retry resumes there.
     */
    async fetchAndPublishRange({ from, to }: PriceRange): Promise<PriceRangeResult> {
      const fromMs = wholeMinute('from', from, 'InvalidRange').getTime();
      const toMs = wholeMinute('to', to, 'InvalidRange').getTime();
      if (toMs <= fromMs)
        throw ApplicationFailure.nonRetryable(`to: not after from: ${from}`, 'InvalidRange');
      const ctx = Context.current();
      const total = (toMs - fromMs) / MINUTE_MS;
      const resumed = resumePoint(ctx.info.heartbeatDetails, fromMs, toMs);
      let progress: RangeProgress = resumed ?? {
        next: new Date(fromMs).toISOString(),
        minutes: 0,
        skipped: 0,
        published: 0,
      };
      const first = (Date.parse(progress.next) - fromMs) / MINUTE_MS;
      const stocks = first < total ? await deps.watchList() : [];
      const started = Date.now();

      // Minutes finish out of order; progress moves only over the contiguous prefix that is done, so a
      // retry that resumes from `next` redoes at most the minutes that were in flight (harmless: every
      // write downstream is keyed by (stock, minute)).
      const outcome: (number | 'skipped' | undefined)[] = new Array<undefined>(total);
      let contiguous = first;
      let cursor = first;
      let stopped = false;
      const advance = () => {
        let { minutes, skipped, published } = progress;
        while (contiguous < total && outcome[contiguous] !== undefined) {
          const o = outcome[contiguous]!;
          if (o === 'skipped') skipped += 1;
          else {
            minutes += 1;
            published += o;
          }
          contiguous += 1;
        }
        progress = {
          next: new Date(fromMs + contiguous * MINUTE_MS).toISOString(),
          minutes,
          skipped,
          published,
        };
      };
      const lane = async () => {
        while (!stopped && cursor < total) {
          const i = cursor++;
          const at = new Date(fromMs + i * MINUTE_MS);
          outcome[i] = deps.isPriceMinute(at) ? await publishMinute(stocks, at) : 'skipped';
          if (outcome[i] !== 'skipped') deps.metrics?.minutes.inc({ mode: 'backfilled' });
          advance();
          if (!stopped) ctx.heartbeat(progress);
        }
      };
      const beat = setInterval(() => ctx.heartbeat(progress), HEARTBEAT_EVERY_MS);
      try {
        const lanes = Array.from({ length: deps.rangeConcurrency ?? RANGE_CONCURRENCY }, lane);
        // A cancellation (the workflow's, or a lost heartbeat the server noticed) ends the wait at once;
        // the minutes in flight finish, no new one starts.
        await Promise.race([Promise.all(lanes), ctx.cancelled]);
      } catch (err) {
        deps.log.warn('price range stopped', { from, to, next: progress.next, err });
        throw err;
      } finally {
        stopped = true;
        clearInterval(beat);
      }
      const result = {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        ...counts(progress),
      };
      deps.log.info('price range published', {
        ...result,
        source: deps.source.name,
        stocks: stocks.length,
        resumedFrom: resumed?.next,
        ms: Date.now() - started,
      });
      return result;
    },
  };
}

const counts = ({ minutes, skipped, published }: RangeProgress) => ({ minutes, skipped, published });

/** What the price workflows (priceFetch, priceBackfill) proxy, as a type only. */
export type PriceActivities = ReturnType<typeof createPriceActivities>;
