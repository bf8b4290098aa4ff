// The price consumer against real Kafka and Redis: writes keyed by (stock, minute), latest never
// moves backwards, and poison messages go to the DLQ with their reason without blocking the partition.
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { createKafka, TOPICS } from '../../../lib/infra/kafka';
import { priceHistoryKey, priceIndexKey } from '../../../lib/store/keys';
import { createLogger } from '../../../lib/infra/logger';
import { readLatestTick, readPriceHistory, writeTicks } from '../../../lib/store/price-history';
import { startPriceConsumer, type RunningPriceConsumer } from '../../../lib/prices/ingest/consumer';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { flatTick } from '../../../lib/contracts/price-tick';
import { createRedis, type Redis } from '../../../lib/infra/redis';
import { header, newGroupAtEnd, randomStockId, readDlq, waitFor } from '../../support/price-helpers';
import { testConfig } from '../../support/test-stack';

const cfg = testConfig();
const log = createLogger('test', 'error');
let kafka: Kafka;
let redis: Redis;
let producer: Producer;
let running: RunningPriceConsumer;

const minute = (i: number) => new Date(Date.UTC(2025, 9, 8, 6, i));

beforeAll(async () => {
  kafka = createKafka(cfg);
  redis = createRedis(cfg);
  producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  running = await startPriceConsumer({
    kafka,
    redis,
    log,
    groupId: await newGroupAtEnd(kafka),
    concurrency: 3,
    maxAttempts: 3,
    retryBaseMs: 50,
    fromBeginning: false,
  });
});

afterAll(async () => {
  await running.stop();
  await producer.disconnect();
  redis.disconnect();
});

test('writing the same (stock, minute) twice leaves one entry; a late minute never overwrites latest', async () => {
  const id = randomStockId();
  const t = (i: number) => simulatedTick(id, minute(i));
  expect((await writeTicks(redis, [t(5), t(3)])).get(id)).toBeNull();
  await writeTicks(redis, [t(3), t(4)]); // a replay and a late minute
  expect(await redis.hlen(priceHistoryKey(id))).toBe(3);
  expect(await redis.zcard(priceIndexKey(id))).toBe(3);
  expect((await readLatestTick(redis, id))?.minute).toBe(minute(5).toISOString());
  await writeTicks(redis, [t(6)]);
  expect((await readLatestTick(redis, id))?.minute).toBe(minute(6).toISOString());
  const history = await readPriceHistory(redis, id, minute(0), minute(10));
  expect(history.map((h) => h.minute)).toEqual([3, 4, 5, 6].map((i) => minute(i).toISOString()));
  expect(history.map((h) => h.price)).toEqual([3, 4, 5, 6].map((i) => t(i).price));
});

test('ticks published to stock-prices land in Redis, replays included, latest stays the newest', async () => {
  const id = randomStockId();
  const send = (is: number[]) =>
    producer.send({
      topic: TOPICS.prices,
      messages: is.map((i) => ({ key: id, value: JSON.stringify(simulatedTick(id, minute(i))) })),
    });
  await send([1, 2, 3, 2, 1]);
  await waitFor('3 minutes', async () => (await redis.zcard(priceIndexKey(id))) === 3, 30_000);
  expect((await readLatestTick(redis, id))?.minute).toBe(minute(3).toISOString());
});

test('a poison message goes to the DLQ with its reason and the partition keeps flowing', async () => {
  const id = randomStockId();
  const good = (i: number) => ({ key: id, value: JSON.stringify(simulatedTick(id, minute(i))) });
  const wrongKey = { key: randomStockId(), value: JSON.stringify(simulatedTick(id, minute(8))) };
  // Same key, so the same partition: the good ticks after the poison must still arrive.
  await producer.send({
    topic: TOPICS.prices,
    messages: [
      good(1),
      { key: id, value: '{"stockId": "not json' },
      { key: id, value: JSON.stringify({ ...simulatedTick(id, minute(7)), price: -5 }) },
      {
        key: id,
        value: JSON.stringify({ ...simulatedTick(id, minute(7)), minute: '2025-10-08T06:07:30.000Z' }),
      },
      good(2),
      good(3),
    ],
  });
  await producer.send({ topic: TOPICS.prices, messages: [wrongKey] });
  await waitFor('the good ticks', async () => (await redis.zcard(priceIndexKey(id))) === 3, 30_000);
  const dead = await readDlq(
    kafka,
    (m) => m.key?.toString() === id || (m.value?.toString().includes(id) ?? false),
    4,
  );
  const reasons = dead.map((m) => header(m, 'dlq-reason')).sort();
  expect(reasons).toEqual([
    expect.stringMatching(/^message key .* is not the tick's stockId/),
    expect.stringMatching(/^minute .* is not a whole minute$/),
    expect.stringMatching(/^not a price tick: price: /),
    expect.stringMatching(/^value is not JSON/),
  ]);
  for (const m of dead) {
    expect(header(m, 'dlq-source-topic')).toBe(TOPICS.prices);
    expect(header(m, 'dlq-source-offset')).toMatch(/^\d+$/);
  }
});

test('a write Redis keeps rejecting is retried a bounded number of times, then dead-lettered', async () => {
  const broken = randomStockId();
  const fine = randomStockId();
  await redis.set(priceHistoryKey(broken), 'not a hash'); // every HSET on it answers WRONGTYPE
  await producer.send({
    topic: TOPICS.prices,
    messages: [broken, fine].map((id) => ({ key: id, value: JSON.stringify(simulatedTick(id, minute(1))) })),
  });
  await waitFor('the healthy stock', async () => (await redis.zcard(priceIndexKey(fine))) === 1, 30_000);
  const [dead] = await readDlq(kafka, (m) => m.key?.toString() === broken, 1);
  expect(header(dead, 'dlq-reason')).toMatch(/^Redis rejected the write: WRONGTYPE/);
  expect(header(dead, 'dlq-attempts')).toBe('3');
});

test('a flood of poison, and one poison message too big to dead-letter whole, never wedge the consumer', async () => {
  const id = randomStockId();
  const junk = (i: number) => ({ key: id, value: `{"broken": ${i}, "pad": "${'x'.repeat(500)}"` });
  // More dead letters in one batch than fit in one produce request (a crash loop before the fix).
  for (let i = 0; i < 2_500; i += 500) {
    await producer.send({
      topic: TOPICS.prices,
      messages: Array.from({ length: 500 }, (_, k) => junk(i + k)),
    });
  }
  // Just under the broker's message limit: with the DLQ headers added it no longer fits.
  const huge = `{"huge": "${'y'.repeat(1_048_420)}"`;
  await producer.send({ topic: TOPICS.prices, messages: [{ key: id, value: huge }] });
  await producer.send({
    topic: TOPICS.prices,
    messages: [{ key: id, value: JSON.stringify(simulatedTick(id, minute(1))) }],
  });
  await waitFor(
    'the good tick after the poison',
    async () => (await redis.zcard(priceIndexKey(id))) === 1,
    60_000,
  );
  const dead = await readDlq(kafka, (m) => m.key?.toString() === id, 2_501, 60_000);
  const truncated = dead.filter((m) => header(m, 'dlq-value-truncated-to'));
  expect(truncated).toHaveLength(1);
  expect(header(truncated[0], 'dlq-reason')).toMatch(/^value is not JSON/);
});

describe('the retention window (PRICE_HISTORY_RETENTION)', () => {
  test('minutes older than the newest minus the window leave, a bounded number per write', async () => {
    const redis = createRedis(testConfig());
    try {
      const stock = `7${String(Date.now()).padStart(14, '0')}`;
      const base = Date.UTC(2026, 0, 1);
      const tickAt = (m: number) => flatTick(stock, 100 + m, new Date(base + m * 60_000));
      // Two hours of minutes, then one more write with a 60-minute window.
      await writeTicks(
        redis,
        Array.from({ length: 120 }, (_, m) => tickAt(m)),
      );
      await writeTicks(redis, [tickAt(120)], undefined, 60 * 60_000);
      const minutes = await redis.zrange(priceIndexKey(stock), 0, -1);
      expect(minutes[0]).toBe(new Date(base + 60 * 60_000).toISOString());
      expect(minutes).toHaveLength(61);
      expect(await redis.hlen(priceHistoryKey(stock))).toBe(61);
      expect((await readLatestTick(redis, stock))?.price).toBe(220);
      // A window of 0 keeps everything.
      await writeTicks(redis, [tickAt(121)], undefined, 0);
      expect(await redis.zcard(priceIndexKey(stock))).toBe(62);
    } finally {
      redis.disconnect();
    }
  });
});
