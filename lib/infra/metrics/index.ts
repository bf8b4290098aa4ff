// Prometheus metrics: one registry per process and the series every process or the API shares
// (names, types, buckets); a domain's own series live beside it (lib/prices/metrics.ts,
// lib/orders/read-model/metrics.ts), on the same registry and dead-letter counter. Process defaults carry no
// name prefix (the standard Node.js dashboards expect `process_cpu_seconds_total`, `nodejs_*`); the
// process is told apart by the `job`/`instance` labels Prometheus adds when it scrapes.
export * from './registry';
export * from './api';
export * from './orders';
export * from './lag';
export * from './dead-letters';
export * from './supervisor';
