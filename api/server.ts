// The API process: wires real clients into createApp and listens.
import type { AddressInfo } from 'node:net';
import { createReadinessCheck } from '../lib/infra/health';
import { createKafka } from '../lib/infra/kafka';
import { runProcess } from '../lib/infra/process';
import { createRedis } from '../lib/infra/redis';
import { createTemporalClient } from '../lib/infra/temporal';
import { createApp, listenApp } from './app';

runProcess('api', async (cfg, log) => {
  const redis = createRedis(cfg, { failFast: true });
  const kafka = createKafka(cfg);
  const temporal = createTemporalClient(cfg);
  const readiness = createReadinessCheck(cfg, { kafka, redis });
  const stopping = new AbortController();
  const app = createApp({ cfg, log, redis, kafka, temporal, readiness, stopping: stopping.signal });
  const server = await listenApp(app.koa, cfg, cfg.API_PORT, cfg.API_HOST);
  const { port } = server.address() as AddressInfo;
  log.info('listening', { url: `http://${cfg.API_HOST}:${port}` });
  // Queued orders are started by the API processes, at their turn (lib/orders/intake.ts).
  const intake = await app.startIntake(() => process.exit(1));
  return async () => {
    // Stop accepting, finish in-flight requests (long polls answer their current state at once), then
    // stop starting queued orders (the rest wait on Kafka for the next API) and close clients.
    const closed = new Promise<void>((done) => server.close(() => done()));
    stopping.abort();
    await closed;
    await intake.stop();
    await app.close();
    await Promise.all([temporal.connection.close(), readiness.close()]);
    redis.disconnect();
  };
});
