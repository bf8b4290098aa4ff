// The price consumer process: Kafka `stock-prices` → Redis price history (lib/prices/ingest/consumer.ts),
// with its ops server (/metrics, /healthz, /readyz) on CONSUMER_OPS_PORT.
import { startPriceConsumer } from '../lib/prices/ingest/consumer';
import { priceMinuteRule } from '../lib/prices/market-calendar';
import { createPriceIngestMetrics, registerMarketOpen } from '../lib/prices/metrics';
import { runConsumerProcess } from './consumer-process';

runConsumerProcess('price-consumer', {
  opsPort: (cfg) => cfg.CONSUMER_OPS_PORT,
  start: ({ cfg, log, kafka, redis, registry, onFatal }) => {
    registerMarketOpen(registry, priceMinuteRule(cfg));
    return startPriceConsumer({
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
    });
  },
  describe: (cfg) => ({ group: cfg.PRICE_CONSUMER_GROUP, concurrency: cfg.PRICE_CONSUMER_CONCURRENCY }),
});
