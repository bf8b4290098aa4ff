// `npm run prices:rebuild`: rebuilds Redis's price history from Kafka `stock-prices` through the same
// ingest code as the price consumer, retention window included (replay-topic.ts).
import { TOPICS } from '../../lib/infra/kafka';
import { startPriceConsumer } from '../../lib/prices/ingest/consumer';
import { runCommand } from '../cli';
import { rebuildCommand } from './replay-topic';

export const { command, main } = rebuildCommand({
  script: 'prices:rebuild',
  what: 'price history',
  topic: TOPICS.prices,
  groupSetting: 'PRICE_CONSUMER_GROUP',
  start: ({ cfg, kafka, redis, log, groupId, count, fail }) =>
    startPriceConsumer({
      kafka,
      redis,
      log,
      groupId,
      concurrency: cfg.PRICE_CONSUMER_CONCURRENCY,
      maxAttempts: cfg.PRICE_CONSUMER_MAX_ATTEMPTS,
      retentionMs: cfg.PRICE_HISTORY_RETENTION,
      fromBeginning: true,
      onWritten: count,
      onFatal: fail,
    }),
});

if (require.main === module) runCommand(command, main);
