// Prometheus metrics: one registry per process, every bourse series defined here (names, types,
// buckets), so the dashboard, the rules and the code agree on one list. Process defaults carry no
// name prefix (the standard Node.js dashboards expect `process_cpu_seconds_total`, `nodejs_*`); the
// process is told apart by the `job`/`instance` labels Prometheus adds when it scrapes.
import type { Admin } from 'kafkajs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OrderEvent } from '../contracts/orders';

/** A registry with the Node.js process defaults. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Seconds-scale latencies of a request path (HTTP, a Redis script, a credit check). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/**
 * The verifier answers in 1–100 s and is cut at VERIFY_TIMEOUT (60 s): buckets across that range,
 * with 60 itself an edge so "cut at the deadline" is its own bucket.
 */
const VERIFICATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 20, 30, 40, 50, 59, 60, 61, 75, 90, 100, 120];
/** Request → final: a denial takes milliseconds, a success up to the verification's 60 s and more. */
const LEAD_TIME_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 75, 90, 120, 300];
/** Scheduled minute → stored: normally a few seconds; a catch-up or backfill is minutes to days. */
const FRESHNESS_BUCKETS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 900, 3600, 21600, 86400];

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestSeconds: Histogram<'method' | 'route'>;
  /**
   * Request received → the credit check's answer (reserved or denied), as the client sees it. The API
   * observes it where POST /orders has the placeOrder update's result: `creditCheckSeconds.observe(s)`.
   * No labels, so the series exists (at 0) before the first order and the dashboard never goes blank.
   */
  creditCheckSeconds: Histogram;
  /** Orders waiting for an admission slot now: inc() when a request starts waiting, dec() when it stops. */
  admissionWaiting: Gauge;
  /** How long an admitted order waited for its slot: observe(seconds) when the slot is granted. */
  admissionWaitSeconds: Histogram;
  /** Orders refused because the admission limit was full (the 503 answer): inc() at the refusal. */
  ordersRefusedOverloaded: Counter;
}

export function createApiMetrics(registry: Registry = createRegistry()): ApiMetrics {
  return {
    registry,
    requests: new Counter({
      name: 'bourse_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'bourse_http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    creditCheckSeconds: new Histogram({
      name: 'bourse_credit_check_duration_seconds',
      help: 'Order request received to credit-check answer',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    admissionWaiting: new Gauge({
      name: 'bourse_order_admission_waiting',
      help: 'Order requests waiting for an admission slot',
      registers: [registry],
    }),
    admissionWaitSeconds: new Histogram({
      name: 'bourse_order_admission_wait_seconds',
      help: 'Time an admitted order request waited for its slot',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    ordersRefusedOverloaded: new Counter({
      name: 'bourse_orders_refused_overloaded_total',
      help: 'Order requests refused because the admission limit was full',
      registers: [registry],
    }),
  };
}

// ---------- orders (worker) ----------

export type OrderOutcome = 'denied' | 'succeeded' | 'failed';
/** none for denied/succeeded; a failed order's kind: the verifier said no, the 60 s cut, or an error. */
export type FailureKind = 'none' | 'refusal' | 'timeout' | 'error';
export type VerificationResult = 'verified' | 'refused' | 'timeout' | 'error';

export interface OrderMetrics {
  outcomes: Counter<'outcome' | 'failure'>;
  leadTimeSeconds: Histogram<'outcome'>;
  verificationSeconds: Histogram<'result'>;
  /** Counts a final order event (outcome, failure kind) and its lead time receivedAt → now. */
  orderFinal(event: OrderEvent, now?: number): void;
}

/** A failed order's kind, from the reason the workflow recorded (workflows/buy-order.ts). */
export function failureKind(reason: string | undefined): FailureKind {
  if (reason === undefined) return 'error';
  if (/answered no/.test(reason)) return 'refusal';
  if (/timed out/.test(reason)) return 'timeout';
  return 'error';
}

export function createOrderMetrics(registry: Registry): OrderMetrics {
  const outcomes = new Counter({
    name: 'bourse_orders_final_total',
    help: 'Orders that reached a final status, by outcome and (failed orders) failure kind',
    labelNames: ['outcome', 'failure'],
    registers: [registry],
  });
  const leadTimeSeconds = new Histogram({
    name: 'bourse_order_lead_time_seconds',
    help: 'Order request received to final status, by outcome',
    labelNames: ['outcome'],
    buckets: LEAD_TIME_BUCKETS,
    registers: [registry],
  });
  const verificationSeconds = new Histogram({
    name: 'bourse_verification_duration_seconds',
    help: 'User verification calls, start to answer or cut, by result',
    labelNames: ['result'],
    buckets: VERIFICATION_BUCKETS,
    registers: [registry],
  });
  // Every outcome exported from the start at 0: rate() and increase() see the first order of each.
  for (const [outcome, failure] of [
    ['denied', 'none'],
    ['succeeded', 'none'],
    ['failed', 'refusal'],
    ['failed', 'timeout'],
    ['failed', 'error'],
  ] as const) {
    outcomes.inc({ outcome, failure }, 0);
  }
  return {
    outcomes,
    leadTimeSeconds,
    verificationSeconds,
    orderFinal(event, now = Date.now()) {
      const s = event.after;
      if (s.phase !== 'denied' && s.phase !== 'succeeded' && s.phase !== 'failed') return;
      outcomes.inc({ outcome: s.phase, failure: s.phase === 'failed' ? failureKind(s.reason) : 'none' });
      const received = Date.parse(s.receivedAt);
      if (Number.isFinite(received)) {
        leadTimeSeconds.observe({ outcome: s.phase }, Math.max(0, now - received) / 1000);
      }
    },
  };
}

// ---------- prices: fetch and publish (worker) ----------

export interface PriceFetchMetrics {
  ticksFetched: Counter<'source'>;
  ticksPublished: Counter<'source'>;
  sourceErrors: Counter<'source' | 'kind'>;
  /** Minutes fetched: on_time and caught_up (schedule runs), backfilled (priceBackfill ranges). */
  minutes: Counter<'mode'>;
}

/** The TSETMC client's failure kinds (lib/prices/sources/tsetmc.ts), and `other`. */
const SOURCE_ERROR_KINDS = [
  'blocked',
  'block_page',
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'http_error',
  'bad_response',
  'other',
] as const;

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
    deadLetters: new Counter({
      name: 'bourse_dead_letters_total',
      help: 'Messages sent to a dead-letter topic, by source topic and reason',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
  };
  // At 0 from the start, so increase() sees the first dead letter (a series born at 1 shows none).
  for (const reason of DEAD_LETTER_REASONS) metrics.deadLetters.inc({ topic, reason }, 0);
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

// ---------- consumer lag ----------

export interface LagWatch {
  groupId: string;
  topic: string;
}

/**
 * Consumer lag per (group, topic, partition), computed at scrape time: the topic's end offset minus
 * the group's committed offset (a partition the group never committed counts from its start). A group
 * that has committed nothing on the topic (not deployed yet) exports no series. Served by a process
 * other than the consumer (the worker), so a stopped consumer's lag keeps being measured. One admin
 * round trip per watch per scrape, bounded by `timeoutMs`; on failure the last values stay.
 */
export function registerConsumerLag(
  registry: Registry,
  admin: Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'>,
  watches: readonly LagWatch[],
  timeoutMs = 2_000,
): Gauge<'group' | 'topic' | 'partition'> {
  return new Gauge({
    name: 'bourse_kafka_consumer_lag_messages',
    help: "Messages a consumer group's committed offset is behind the partition's end",
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      for (const { groupId, topic } of watches) {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('lag lookup timed out')), timeoutMs);
        });
        try {
          const [ends, committed] = await Promise.race([
            Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]),
            deadline,
          ]);
          const done = new Map(
            (committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)] as const),
          );
          if (![...done.values()].some((o) => o >= 0n)) continue;
          for (const p of ends) {
            const end = BigInt(p.high);
            const at = done.get(p.partition) ?? -1n;
            const start = BigInt(p.low);
            const from = at < 0n ? start : at;
            const lag = end > from ? end - from : 0n;
            this.set({ group: groupId, topic, partition: String(p.partition) }, Number(lag));
          }
        } catch {
          // The broker is away: keep the last values (the target itself stays up).
        } finally {
          clearTimeout(timer);
        }
      }
    },
  });
}
