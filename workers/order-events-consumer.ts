// The order-events consumer process: Kafka `order-events` → the Redis read model (per-user order lists,
// current views, the SSE resume stream; lib/orders/read-model), with its ops server on
// ORDER_EVENTS_CONSUMER_OPS_PORT.
import { startOrderEventsConsumer } from '../lib/orders/read-model/consumer';
import { createOrderEventsMetrics } from '../lib/orders/read-model/metrics';
import { runConsumerProcess } from './consumer-process';

runConsumerProcess('order-events-consumer', {
  opsPort: (cfg) => cfg.ORDER_EVENTS_CONSUMER_OPS_PORT,
  start: ({ cfg, log, kafka, redis, registry, onFatal }) =>
    startOrderEventsConsumer({
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
      onFatal,
    }),
  describe: (cfg) => ({ group: cfg.ORDER_EVENTS_CONSUMER_GROUP }),
});
