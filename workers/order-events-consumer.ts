// The order-events consumer process: Kafka `order-events` → the Redis read model (per-user order lists,
// current views, the SSE resume stream; lib/orders/read-model), with its ops server on
// ORDER_EVENTS_CONSUMER_OPS_PORT.
import { createReadinessCheck } from '../lib/infra/health';
import { createKafka } from '../lib/infra/kafka';
import { createRegistry } from '../lib/infra/metrics';
import { startOpsServer } from '../lib/infra/ops-server';
import { runProcess } from '../lib/infra/process';
import { createRedis } from '../lib/infra/redis';
import { startOrderEventsConsumer } from '../lib/orders/read-model/consumer';
import { createOrderEventsMetrics } from '../lib/orders/read-model/metrics';

runProcess('order-events-consumer', async (cfg, log) => {
  const redis = createRedis(cfg);
  await redis.ping();
  const kafka = createKafka(cfg);
  const registry = createRegistry();
  const readiness = createReadinessCheck(cfg, { kafka, redis });
  const ops = await startOpsServer({
    host: cfg.OPS_HOST,
    port: cfg.ORDER_EVENTS_CONSUMER_OPS_PORT,
    registry,
    // The consumer needs Kafka and Redis only.
    ready: async () => {
      const r = await readiness.check();
      return { ...r, ready: r.checks.kafka.ok && r.checks.redis.ok };
    },
    log,
  });
  const running = await startOrderEventsConsumer({
    kafka,
    redis,
    log,
    groupId: cfg.ORDER_EVENTS_CONSUMER_GROUP,
    // A new group starts from the first event: the first deployment lists every order already placed.
    fromBeginning: true,
    maxAttempts: cfg.ORDER_EVENTS_CONSUMER_MAX_ATTEMPTS,
    streamMaxLen: cfg.ORDER_EVENTS_STREAM_MAXLEN,
    sessionTimeoutMs: cfg.ORDER_EVENTS_CONSUMER_SESSION_TIMEOUT,
    metrics: createOrderEventsMetrics(registry),
    onFatal: () => process.exit(1),
  });
  log.info('consuming', { group: cfg.ORDER_EVENTS_CONSUMER_GROUP });
  return async () => {
    await running.stop();
    await ops.close();
    await readiness.close();
    redis.disconnect();
  };
});
