// The price pipeline's series: fetch and publish (worker), ingest (consumer), the market session.
import { TSETMC_FAILURE_KINDS } from './sources/tsetmc-api';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { deadLetterCounter } from '../infra/metrics/dead-letters';
import { FRESHNESS_BUCKETS } from '../infra/metrics/registry';

export interface PriceFetchMetrics {
  ticksFetched: Counter<'source'>;
  ticksPublished: Counter<'source'>;
  sourceErrors: Counter<'source' | 'kind'>;
  /** Minutes fetched: on_time and caught_up (schedule runs), backfilled (priceBackfill ranges). */
  minutes: Counter<'mode'>;
}

/** The TSETMC client's failure kinds, and `other`. */
const SOURCE_ERROR_KINDS = [...TSETMC_FAILURE_KINDS, 'other'] as const;

/** `source`: the process's price source, whose series are exported from the start at 0. */
export function createPriceFetchMetrics(registry: Registry, source: string): PriceFetchMetrics {
  const metrics: PriceFetchMetrics = {
    ticksFetched: new Counter({
      name: 'bourse_price_ticks_fetched_total',
      help: 'Price ticks the source returned, by source',
      labelNames: ['source'],
      registers: [registry],
    }),
    ticksPublished: new Counter({
      name: 'bourse_price_ticks_published_total',
      help: 'Price ticks acknowledged by Kafka stock-prices, by source',
      labelNames: ['source'],
      registers: [registry],
    }),
    sourceErrors: new Counter({
      name: 'bourse_price_source_errors_total',
      help: 'Price fetches that failed (after the source client retries), by source and kind',
      labelNames: ['source', 'kind'],
      registers: [registry],
    }),
    minutes: new Counter({
      name: 'bourse_price_minutes_total',
      help: 'Price minutes fetched and published, by mode (on_time, caught_up, backfilled)',
      labelNames: ['mode'],
      registers: [registry],
    }),
  };
  metrics.ticksFetched.inc({ source }, 0);
  metrics.ticksPublished.inc({ source }, 0);
  for (const kind of SOURCE_ERROR_KINDS) metrics.sourceErrors.inc({ source, kind }, 0);
  for (const mode of ['on_time', 'caught_up', 'backfilled']) metrics.minutes.inc({ mode }, 0);
  return metrics;
}

// ---------- prices: ingest (consumer) ----------

export interface PriceIngestMetrics {
  ticksStored: Counter<'source'>;
  freshnessSeconds: Histogram<'source'>;
  lastStoredSeconds: Gauge;
  deadLetters: Counter<'topic' | 'reason'>;
}

const DEAD_LETTER_REASONS = [
  'empty',
  'not_json',
  'invalid',
  'not_whole_minute',
  'key_mismatch',
  'store_rejected',
  'other',
] as const;

/** `topic`: the topic consumed, whose dead-letter series are exported from the start at 0. */
export function createPriceIngestMetrics(registry: Registry, topic = 'stock-prices'): PriceIngestMetrics {
  const metrics: PriceIngestMetrics = {
    ticksStored: new Counter({
      name: 'bourse_price_ticks_stored_total',
      help: 'Price ticks written to the Redis price history, by source',
      labelNames: ['source'],
      registers: [registry],
    }),
    freshnessSeconds: new Histogram({
      name: 'bourse_price_freshness_seconds',
      help: "A tick's minute to the moment it was stored in Redis, by source",
      labelNames: ['source'],
      buckets: FRESHNESS_BUCKETS,
      registers: [registry],
    }),
    lastStoredSeconds: new Gauge({
      name: 'bourse_price_last_stored_timestamp_seconds',
      help: 'Unix time the consumer last stored a price tick',
      registers: [registry],
    }),
    deadLetters: deadLetterCounter(registry, topic, DEAD_LETTER_REASONS),
  };
  return metrics;
}

/** A dead letter's reason as a label: a few fixed words, never the free text (unbounded series). */
export function deadLetterReason(reason: string): (typeof DEAD_LETTER_REASONS)[number] {
  if (reason.startsWith('empty')) return 'empty';
  if (reason.startsWith('value is not JSON')) return 'not_json';
  if (reason.startsWith('not a price tick')) return 'invalid';
  if (reason.includes('not a whole minute')) return 'not_whole_minute';
  if (reason.startsWith('message key')) return 'key_mismatch';
  if (reason.startsWith('Redis rejected')) return 'store_rejected';
  return 'other';
}

/** Whether the market is open now (1/0): lets the "no new price" alert stay quiet outside hours. */
export function registerMarketOpen(registry: Registry, isOpen: (now: Date) => boolean): Gauge {
  return new Gauge({
    name: 'bourse_market_open',
    help: '1 while the market is open (prices are expected every minute), else 0',
    registers: [registry],
    collect() {
      this.set(isOpen(new Date()) ? 1 : 0);
    },
  });
}
