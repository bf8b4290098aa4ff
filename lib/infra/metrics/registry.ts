// Prometheus metrics: one registry per process, every bourse series defined here (names, types,
// buckets), so the dashboard, the rules and the code agree on one list. Process defaults carry no
// name prefix (the standard Node.js dashboards expect `process_cpu_seconds_total`, `nodejs_*`); the
// process is told apart by the `job`/`instance` labels Prometheus adds when it scrapes.
import { Registry, collectDefaultMetrics } from 'prom-client';

/** A registry with the Node.js process defaults. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Seconds-scale latencies of a request path (HTTP, a Redis script, a credit check). */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/**
 * The verifier answers in 1–100 s and is cut at VERIFY_TIMEOUT (60 s): buckets across that range,
 * with 60 itself an edge so "cut at the deadline" is its own bucket.
 */
export const VERIFICATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 20, 30, 40, 50, 59, 60, 61, 75, 90, 100, 120];
/** Request → final: a denial takes milliseconds, a success up to the verification's 60 s and more. */
export const LEAD_TIME_BUCKETS = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 75, 90, 120, 300,
];
/** Scheduled minute → stored: normally a few seconds; a catch-up or backfill is minutes to days. */
export const FRESHNESS_BUCKETS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 900, 3600, 21600, 86400];
