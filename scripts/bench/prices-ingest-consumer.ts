// One consumer process of the bench's ingest scenario (scripts/bench/prices-ingest.ts starts 1, 2 or
// 3 of them in one group): the price consumer's own code (lib/prices/ingest/consumer.ts) with the
// settings and metrics workers/price-consumer.ts gives it, on the bench's topic. It joins the group at
// the topic's end and reads nothing until the bench, once every member holds its partitions, says
// "go": then it seeks its partitions to offset 0, so all members start together on a stable group.
// It reports to the bench over IPC: its partitions after each join, and every chunk it has written.
import { createRegistry } from '../../lib/infra/metrics';
import { createPriceIngestMetrics } from '../../lib/prices/metrics';
import { createKafka } from '../../lib/infra/kafka';
import { runProcess } from '../../lib/infra/process';
import { createRedis } from '../../lib/infra/redis';
import { startPriceConsumer } from '../../lib/prices/ingest/consumer';

/** What the bench tells a consumer process. */
export type ToConsumer = { type: 'go' };
/** What a consumer process tells the bench. */
export type FromConsumer =
  { type: 'joined'; partitions: number[] } | { type: 'written'; count: number; at: number };

const topic = process.env.BENCH_INGEST_TOPIC;
const groupId = process.env.BENCH_INGEST_GROUP;
const send = (m: FromConsumer) => process.send?.(m);

runProcess('bench-ingest-consumer', async (cfg, log) => {
  if (!topic || !groupId || !process.send) {
    throw new Error(
      'started by scripts/bench/prices-ingest.ts only (BENCH_INGEST_TOPIC, BENCH_INGEST_GROUP, IPC)',
    );
  }
  const redis = createRedis(cfg);
  await redis.ping();
  let partitions: number[] = [];
  const running = await startPriceConsumer({
    kafka: createKafka(cfg),
    redis,
    log,
    topic,
    groupId,
    // Every partition this process holds at once (1 process: all 6), as the bench always measured.
    concurrency: 6,
    maxAttempts: cfg.PRICE_CONSUMER_MAX_ATTEMPTS,
    retentionMs: cfg.PRICE_HISTORY_RETENTION,
    sessionTimeoutMs: cfg.PRICE_CONSUMER_SESSION_TIMEOUT,
    metrics: createPriceIngestMetrics(createRegistry()),
    // At the end: nothing is read before "go" (then a seek to 0).
    fromBeginning: false,
    // A quiet topic answers a fetch at once, so the seek on "go" is not held up by a parked fetch.
    maxWaitTimeInMs: 100,
    onGroupJoin: (assignment) => {
      partitions = [...(assignment[topic] ?? [])].sort((a, b) => a - b);
      send({ type: 'joined', partitions });
    },
    onWritten: (count) => send({ type: 'written', count, at: Date.now() }),
    onFatal: () => process.exit(1),
  });
  const { consumer } = running;
  process.on('message', (m: ToConsumer) => {
    if (m.type === 'go') for (const partition of partitions) consumer.seek({ topic, partition, offset: '0' });
  });
  return async () => {
    await running.stop();
    redis.disconnect();
  };
});
