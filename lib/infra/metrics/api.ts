// The API process's series: HTTP, the credit check, admission.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS, createRegistry } from './registry';

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
