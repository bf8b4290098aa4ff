// The price consumer process: Kafka `stock-prices` → Redis price history (see lib/price-ingest.ts).
import { createKafka } from '../lib/infra/kafka';
import { startPriceConsumer } from '../lib/prices/ingest/consumer';
import { runProcess } from '../lib/infra/process';
import { createRedis } from '../lib/infra/redis';

runProcess('price-consumer', async (cfg, log) => {
  const redis = createRedis(cfg);
  await redis.ping();
  const running = await startPriceConsumer({
    kafka: createKafka(cfg),
    redis,
    log,
    groupId: cfg.PRICE_CONSUMER_GROUP,
    concurrency: cfg.PRICE_CONSUMER_CONCURRENCY,
    maxAttempts: cfg.PRICE_CONSUMER_MAX_ATTEMPTS,
    sessionTimeoutMs: cfg.PRICE_CONSUMER_SESSION_TIMEOUT,
    // A new group starts from the earliest tick: the first deployment misses nothing already published.
    fromBeginning: true,
    onFatal: () => process.exit(1),
  });
  log.info('consuming', { group: cfg.PRICE_CONSUMER_GROUP, concurrency: cfg.PRICE_CONSUMER_CONCURRENCY });
  return async () => {
    await running.stop();
    redis.disconnect();
  };
});
