// `npm run orders:rebuild`: rebuilds the order read model (per-user order lists, views, SSE streams)
// from Kafka `order-events` through the same code as the order-events consumer (replay-topic.ts):
// `seq` decides, so replaying over an intact read model changes nothing, and over an empty one
// restores every order's newest view.
import { TOPICS } from '../../lib/infra/kafka';
import { startOrderEventsConsumer } from '../../lib/orders/read-model/consumer';
import { runCommand } from '../cli';
import { rebuildCommand } from './replay-topic';

export const { command, main } = rebuildCommand({
  script: 'orders:rebuild',
  what: 'order read model',
  topic: TOPICS.orderEvents,
  groupSetting: 'ORDER_EVENTS_CONSUMER_GROUP',
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
