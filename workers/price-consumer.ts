// The price consumer process: Kafka `stock-prices` → Redis price history (lib/prices/ingest/consumer.ts),
// with its ops server (/metrics, /healthz, /readyz) on CONSUMER_OPS_PORT.
import { createTemporalClient } from '../lib/infra/temporal';
import { createLimitWaker } from '../lib/orders/limit-wake';
import { startPriceConsumer } from '../lib/prices/ingest/consumer';
import { priceMinuteRule } from '../lib/prices/market-calendar';
import { createPriceIngestMetrics, registerMarketOpen } from '../lib/prices/metrics';
import { runConsumerProcess } from './consumer-process';

runConsumerProcess('price-consumer', {
  opsPort: (cfg) => cfg.CONSUMER_OPS_PORT,
  start: async ({ cfg, log, kafka, redis, registry, onFatal }) => {
    registerMarketOpen(registry, priceMinuteRule(cfg));
    // Its own Temporal client: a fresh tick that crosses open limit orders signals their workflows.
    const temporal = createTemporalClient(cfg);
    const waker = createLimitWaker({ redis, temporal, priceMaxAgeMs: cfg.PRICE_MAX_AGE, log });
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
      metrics: createPriceIngestMetrics(registry),
      onFatal,
      afterStored: (ticks) => waker.wake(ticks),
    });
    return {
      ...running,
      async stop() {
        await running.stop();
        await temporal.connection.close();
      },
    };
  },
  describe: (cfg) => ({ group: cfg.PRICE_CONSUMER_GROUP, concurrency: cfg.PRICE_CONSUMER_CONCURRENCY }),
});
