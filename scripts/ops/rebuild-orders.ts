// `npm run orders:rebuild`: rebuilds the order read model (per-user order lists, views, SSE streams)
// from Kafka `order-events`, as prices:rebuild does for prices. A new consumer group reads the topic
// from its earliest offset up to the end it had when the command started, through the same code as
// the order-events consumer: `seq` decides, so replaying over an intact read model changes nothing,
// and over an empty one restores every order's newest view. Relies on retention.ms=-1 (lib/infra/kafka.ts).
import { config } from '../../lib/infra/config';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { createRedis } from '../../lib/infra/redis';
import { startOrderEventsConsumer } from '../../lib/orders/read-model/consumer';

async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger('orders-rebuild', cfg.LOG_LEVEL);
  const groupArg = process.argv.indexOf('--group');
  const groupId =
    groupArg > 0 ? process.argv[groupArg + 1]! : `${cfg.ORDER_EVENTS_CONSUMER_GROUP}-rebuild-${Date.now()}`;
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const started = Date.now();
  const ends = await admin.fetchTopicOffsets(TOPICS.orderEvents);
  const target = ends.reduce((n, p) => n + (BigInt(p.high) - BigInt(p.low)), 0n);
  log.info('rebuilding the order read model from Kafka', {
    topic: TOPICS.orderEvents,
    groupId,
    messages: target.toString(),
  });
  let handled = 0;
  const running = await startOrderEventsConsumer({
    kafka,
    redis,
    log,
    groupId,
    fromBeginning: true,
    maxAttempts: cfg.ORDER_EVENTS_CONSUMER_MAX_ATTEMPTS,
    streamMaxLen: cfg.ORDER_EVENTS_STREAM_MAXLEN,
    onHandled: (n) => (handled += n),
    onFatal: (err) => {
      log.error('rebuild consumer failed', { err });
      process.exit(1);
    },
  });
  // Done when the group's committed offset has reached, on every partition, the end seen at start.
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [TOPICS.orderEvents] });
    const pending = ends.filter((end) => {
      const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return BigInt(end.high) > BigInt(end.low) && BigInt(c) < BigInt(end.high);
    });
    if (pending.length === 0) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  await running.stop();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  redis.disconnect();
  const seconds = (Date.now() - started) / 1000;
  log.info('order read model rebuilt', { events: handled, seconds });
}

main().catch((err: unknown) => {
  process.stderr.write(`orders:rebuild failed: ${(err as Error).message}\n`);
  process.exit(1);
});
