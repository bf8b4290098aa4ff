// Builds the real API (createApp) against the test stack's real clients and listens on a free port.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp, listenApp, type AppDeps } from '../../api/app';
import type { Config } from '../../lib/infra/config';
import { createReadinessCheck } from '../../lib/infra/health';
import { createKafka } from '../../lib/infra/kafka';
import { createLogger, type Logger } from '../../lib/infra/logger';
import { createRedis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { testConfig } from './test-stack';

export interface Api {
  url: string;
  deps: AppDeps;
  close(): Promise<void>;
}

export interface ApiOptions {
  /** Where log lines go (default: dropped below error level). */
  log?: Logger;
  /** Runs the burst intake's consumer, as the API process does (default true). */
  intake?: boolean;
}

export async function startApi(cfg: Config = testConfig(), opts: ApiOptions = {}): Promise<Api> {
  const redis = createRedis(cfg, { failFast: true });
  const deps: AppDeps = {
    cfg,
    log: opts.log ?? createLogger('api-test', 'error'),
    redis,
    // The intake's consumer and sender retry as the API process's do; /readyz's probe fails fast.
    kafka: createKafka(cfg),
    temporal: createTemporalClient(cfg),
    readiness: createReadinessCheck(cfg, { kafka: createKafka(cfg, { retries: 0 }), redis }),
  };
  // A fail-fast client refuses commands until connected: wait, so a test's first request is not racing it.
  if (redis.status !== 'ready') await once(redis, 'ready');
  const app = createApp(deps);
  const server = await listenApp(app.koa, cfg, 0, '127.0.0.1');
  const intake = opts.intake === false ? undefined : await app.startIntake();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deps,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await intake?.stop();
      await app.close();
      await Promise.all([deps.temporal.connection.close(), deps.readiness.close()]);
      deps.redis.disconnect();
    },
  };
}
