// What the routes are given: the order service, the store and the configuration, never raw clients.
import type { Config } from '../../lib/infra/config';
import type { Logger } from '../../lib/infra/logger';
import type { ApiMetrics } from '../../lib/infra/metrics';
import type { OrderClient } from '../../lib/orders/client';
import type { OrderResultWaiter } from '../../lib/orders/long-poll';
import type { OrderPlacer } from '../../lib/orders/place';
import type { Store } from '../../lib/store';

export interface RouteDeps {
  cfg: Config;
  log: Logger;
  orders: OrderClient;
  placer: OrderPlacer;
  /** The long poll of an order's result (the read model's wake-up or the workflow's close). */
  results: OrderResultWaiter;
  store: Store;
  metrics: Pick<ApiMetrics, 'creditCheckSeconds'>;
  /** The key store the auth guard reads (api/auth.ts); routes never use it. */
  authRedis: Parameters<typeof import('../auth').authenticate>[1];
  /** Aborted when the process begins a graceful stop: event streams then end at once. */
  stopping?: AbortSignal;
}
