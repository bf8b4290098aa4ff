// Prometheus metrics: one registry per process, every bourse series defined here (names, types,
// buckets), so the dashboard, the rules and the code agree on one list. Process defaults carry no
// name prefix (the standard Node.js dashboards expect `process_cpu_seconds_total`, `nodejs_*`); the
// process is told apart by the `job`/`instance` labels Prometheus adds when it scrapes.
export * from './registry';
export * from './api';
export * from './orders';
export * from './prices';
export * from './lag';
export * from './dead-letters';
export * from './supervisor';
