// What the routes are given: the order service, the store and the configuration, never raw clients.
import type { Config } from '../../lib/infra/config';
import type { Logger } from '../../lib/infra/logger';
import type { ApiMetrics } from '../../lib/infra/metrics';
import type { OrderClient } from '../../lib/orders/client';
import type { OrderPlacer } from '../../lib/orders/place';
import type { FinalNotifier } from '../../lib/orders/read-model/final-notifier';
import type { Store } from '../../lib/store';

export interface RouteDeps {
  cfg: Config;
  log: Logger;
  orders: OrderClient;
  placer: OrderPlacer;
  /** Wakes a parked long poll when the read model holds its order's final view. */
  finals: FinalNotifier;
  store: Store;
  metrics: Pick<ApiMetrics, 'creditCheckSeconds'>;
  /** The key store the auth guard reads (api/auth.ts); routes never use it. */
  authRedis: Parameters<typeof import('../auth').authenticate>[1];
  /** Aborted when the process begins a graceful stop: long polls then answer at once. */
  stopping?: AbortSignal;
}
