// `npm run prices:rebuild`: rebuilds Redis's price history from Kafka `stock-prices` (a new consumer
// group from the earliest offset up to the end at start), through the same ingest code as the price
// consumer, retention window included. Relies on retention.ms=-1 (lib/infra/kafka.ts).
import { TOPICS } from '../../lib/infra/kafka';
import { startPriceConsumer } from '../../lib/prices/ingest/consumer';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { replayTopic } from './replay-topic';

export const command = {
  usage: 'npm run prices:rebuild --',
  summary:
    "rebuilds Redis's price history from Kafka stock-prices (earliest offset to the end at start), then exits",
  options: {
    group: {
      kind: 'string',
      description: 'consumer group to use (default: a new <PRICE_CONSUMER_GROUP>-rebuild-<time>)',
    },
  },
} as const satisfies CommandSpec;

const main = ({ values }: Parsed<typeof command.options>) =>
  replayTopic({
    name: 'prices-rebuild',
    what: 'price history',
    topic: TOPICS.prices,
    groupId: (cfg) => values.group ?? `${cfg.PRICE_CONSUMER_GROUP}-rebuild-${Date.now()}`,
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
