// `npm run orders:rebuild`: rebuilds the order read model (per-user order lists, views, SSE streams)
// from Kafka `order-events`, as prices:rebuild does for prices, through the same code as the
// order-events consumer: `seq` decides, so replaying over an intact read model changes nothing, and
// over an empty one restores every order's newest view. Relies on retention.ms=-1 (lib/infra/kafka.ts).
import { TOPICS } from '../../lib/infra/kafka';
import { startOrderEventsConsumer } from '../../lib/orders/read-model/consumer';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { replayTopic } from './replay-topic';

export const command = {
  usage: 'npm run orders:rebuild --',
  summary:
    'rebuilds the order read model from Kafka order-events (earliest offset to the end at start), then exits',
  options: {
    group: {
      kind: 'string',
      description: 'consumer group to use (default: a new <ORDER_EVENTS_CONSUMER_GROUP>-rebuild-<time>)',
    },
  },
} as const satisfies CommandSpec;

const main = ({ values }: Parsed<typeof command.options>) =>
  replayTopic({
    name: 'orders-rebuild',
    what: 'order read model',
    topic: TOPICS.orderEvents,
    groupId: (cfg) => values.group ?? `${cfg.ORDER_EVENTS_CONSUMER_GROUP}-rebuild-${Date.now()}`,
    start: ({ cfg, kafka, redis, log, groupId, count, fail }) =>
      startOrderEventsConsumer({
        kafka,
        redis,
        log,
        groupId,
        fromBeginning: true,
        maxAttempts: cfg.ORDER_EVENTS_CONSUMER_MAX_ATTEMPTS,
        streamMaxLen: cfg.ORDER_EVENTS_STREAM_MAXLEN,
        onHandled: count,
        onFatal: fail,
      }),
  });

if (require.main === module) runCommand(command, main);
