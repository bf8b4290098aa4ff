// The price consumer process: Kafka `stock-prices` → Redis price history (lib/prices/ingest/consumer.ts),
// with its ops server (/metrics, /healthz, /readyz) on CONSUMER_OPS_PORT.
import { createKafka } from '../lib/infra/kafka';
import { createReadinessCheck } from '../lib/infra/health';
import { createRegistry } from '../lib/infra/metrics';
import { createPriceIngestMetrics, registerMarketOpen } from '../lib/prices/metrics';
import { startOpsServer } from '../lib/infra/ops-server';
import { startPriceConsumer } from '../lib/prices/ingest/consumer';
import { priceMinuteRule } from '../lib/prices/market-calendar';
import { runProcess } from '../lib/infra/process';
import { createRedis } from '../lib/infra/redis';

runProcess('price-consumer', async (cfg, log) => {
  const redis = createRedis(cfg);
  await redis.ping();
  const kafka = createKafka(cfg);
  const registry = createRegistry();
  const metrics = createPriceIngestMetrics(registry);
  registerMarketOpen(registry, priceMinuteRule(cfg));
  // Its lag is measured by the worker (a stopped consumer cannot report its own).
  const readiness = createReadinessCheck(cfg, { kafka, redis });
  const ops = await startOpsServer({
    host: cfg.OPS_HOST,
    port: cfg.CONSUMER_OPS_PORT,
    registry,
    // The consumer needs Kafka and Redis only.
    ready: async () => {
      const r = await readiness.check();
      return { ...r, ready: r.checks.kafka.ok && r.checks.redis.ok };
    },
    log,
  });
  const running = await startPriceConsumer({
    kafka,
    redis,
    log,
    groupId: cfg.PRICE_CONSUMER_GROUP,
    concurrency: cfg.PRICE_CONSUMER_CONCURRENCY,
    maxAttempts: cfg.PRICE_CONSUMER_MAX_ATTEMPTS,
    retentionMs: cfg.PRICE_HISTORY_RETENTION,
    sessionTimeoutMs: cfg.PRICE_CONSUMER_SESSION_TIMEOUT,
    // A new group starts from the earliest tick: the first deployment misses nothing already published.
    fromBeginning: true,
    metrics,
    onFatal: () => process.exit(1),
  });
  log.info('consuming', { group: cfg.PRICE_CONSUMER_GROUP, concurrency: cfg.PRICE_CONSUMER_CONCURRENCY });
  return async () => {
    await running.stop();
    await ops.close();
    await readiness.close();
    redis.disconnect();
  };
});
