// Hostile `stock-prices` messages for the price consumer (fast-check, fixed seed): random bytes, random
// JSON, ticks with one field made hostile (numbers beyond 2^53, unicode digits, key-pattern escapes, a
// key that is not the tick's stock, a minute that is not a whole minute). Each ends in
// `stock-prices.dlq` with its reason, none is written to Redis, and a good tick sent after all of them
// on the same partition is still written: a poison message never blocks the partition.
import fc from 'fast-check';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { createKafka, TOPICS } from '../../../lib/infra/kafka';
import { createLogger } from '../../../lib/infra/logger';
import { readLatestTick } from '../../../lib/store/price-history';
import { startPriceConsumer, type RunningPriceConsumer } from '../../../lib/prices/ingest/consumer';
import { parseTickMessage } from '../../../lib/prices/ingest/parse';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { createRedis, type Redis } from '../../../lib/infra/redis';
import { header, newGroupAtEnd, randomStockId, readDlq, waitFor } from '../../support/price-helpers';
import { testConfig } from '../../support/test-stack';

const cfg = testConfig();
const CASES = Math.min(cfg.FUZZ_RUNS, 200);
let kafka: Kafka;
let redis: Redis;
let producer: Producer;
let running: RunningPriceConsumer;

beforeAll(async () => {
  kafka = createKafka(cfg);
  redis = createRedis(cfg);
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  running = await startPriceConsumer({
    kafka,
    redis,
    log: createLogger('test', 'error'),
    groupId: await newGroupAtEnd(kafka),
    concurrency: 2,
    maxAttempts: 2,
    retryBaseMs: 20,
    fromBeginning: false,
  });
});

afterAll(async () => {
  await running?.stop();
  await producer?.disconnect();
  redis?.disconnect();
});

const hostile = fc.oneof(
  fc.constantFrom('*', '{', '}', '{stock:1}', ':', '\n', '\0', '__proto__', '۴۴۸۹۱۴۸۲۰۲۶۸۶۷۸۳۳', '', '😀'),
  fc.string({ maxLength: 30 }),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 120n }),
  fc.double(),
  fc.constantFrom(null, true, [], {}, -1, 0, 1e308, Number.MAX_SAFE_INTEGER + 2),
);

test(`${CASES} hostile messages each reach the DLQ with a reason; nothing written; the partition flows on`, async () => {
  const stock = randomStockId(); // the key of every message: one partition, in order
  const minute = new Date(Date.UTC(2025, 9, 8, 6, 30));
  const good = simulatedTick(stock, minute);
  const cases = fc.sample(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
      // A good tick with one field made hostile (or dropped, or one added).
      fc
        .tuple(fc.constantFrom(...Object.keys(good), 'extra'), hostile, fc.boolean())
        .map(([field, value, drop]) => {
          const t: Record<string, unknown> = { ...good };
          if (drop && field !== 'extra') delete t[field];
          else t[field] = typeof value === 'bigint' ? value.toString() : value;
          return Buffer.from(
            JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
          );
        }),
      // The tick of another stock under this key; a minute that is not whole.
      fc.constant(Buffer.from(JSON.stringify(simulatedTick(randomStockId(), minute)))),
      fc.constant(Buffer.from(JSON.stringify({ ...good, minute: '2025-10-08T06:30:17.000Z' }))),
    ),
    { seed: cfg.FUZZ_SEED, numRuns: CASES },
  );
  await producer.send({
    topic: TOPICS.prices,
    messages: cases.map((value, i) => ({ key: stock, value, headers: { 'fuzz-case': `${stock}:${i}` } })),
  });
  // Then a good tick on the same partition: it must get through.
  await producer.send({ topic: TOPICS.prices, messages: [{ key: stock, value: JSON.stringify(good) }] });
  const written = await waitFor('the good tick written', async () => readLatestTick(redis, stock), 60_000);
  expect(written.minute).toBe(minute.toISOString());

  // Which cases are unusable, by the consumer's own validator; every one of those must be dead-lettered
  // (none dropped silently), and the few it can use (an extra field the schema ignores, say) are the
  // same (stock, minute), so they can only have rewritten that one entry.
  const unusable = cases
    .map((value, i) => ({ i, parsed: parseTickMessage({ key: Buffer.from(stock), value }) }))
    .filter((c) => !c.parsed.ok);
  expect(unusable.length).toBeGreaterThan(cases.length * 0.8);
  const dead = await readDlq(
    kafka,
    (m) => header(m, 'fuzz-case')?.startsWith(`${stock}:`) ?? false,
    unusable.length,
    60_000,
  );
  expect(dead.map((m) => header(m, 'fuzz-case')).sort()).toEqual(
    unusable.map((c) => `${stock}:${c.i}`).sort(),
  );
  for (const m of dead) expect(header(m, 'dlq-reason')).toEqual(expect.stringMatching(/\S/));
  // Only (stock, that minute) was ever written for this key: hostile ticks wrote nothing else.
  expect(await redis.hkeys(`{stock:${stock}}:prices`)).toEqual([minute.toISOString()]);
  process.stderr.write(
    `[fuzz-kafka] ${cases.length} hostile messages, ${dead.length} dead-lettered with a reason\n`,
  );
});
