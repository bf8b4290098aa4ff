// The group-commit sender: one request in flight, callers that arrive meanwhile share the next one,
// a failed request rejects exactly its callers. Logic with a scripted producer, then the real broker.
import type { Producer, ProducerBatch } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { createKafka } from '../../../lib/infra/kafka';
import { connectKafkaSender, createKafkaSender } from '../../../lib/infra/kafka-sender';
import { testConfig } from '../../support/test-stack';
import { waitFor } from '../../../scripts/wait';

/** A producer whose sendBatch calls are recorded and finished by the test. */
function scriptedProducer() {
  const calls: { batch: ProducerBatch; finish: (err?: Error) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const producer = {
    sendBatch: (batch: ProducerBatch) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve, reject) => {
        calls.push({
          batch,
          finish: (err) => {
            inFlight -= 1;
            if (err) reject(err);
            else resolve([]);
          },
        });
      });
    },
    disconnect: async () => undefined,
  } as unknown as Producer;
  return { producer, calls, maxInFlight: () => maxInFlight };
}

const NO_RETRY = { attempts: 1, initialMs: 0, maxMs: 0 };
const flushMicrotasks = () => new Promise((r) => setImmediate(r));
const msgs = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: prefix, value: `${prefix}-${i}` }));
const values = (batch: ProducerBatch) =>
  (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.value)}`));

test('callers arriving during a request share the next one; one request in flight; acks = all', async () => {
  const { producer, calls, maxInFlight } = scriptedProducer();
  const sender = createKafkaSender(async () => producer, 10);
  const settled: string[] = [];
  const first = sender.send('t', msgs('a', 1)).then(() => settled.push('a'));
  await flushMicrotasks();
  expect(calls).toHaveLength(1);
  const rest = [
    sender.send('t', msgs('b', 2)).then(() => settled.push('b')),
    sender.send('u', msgs('c', 3)).then(() => settled.push('c')),
    sender.send('t', msgs('d', 5)).then(() => settled.push('d')), // 2 + 3 + 5 = 10: fits
    sender.send('t', msgs('e', 1)).then(() => settled.push('e')), // the 11th message waits
  ];
  await flushMicrotasks();
  expect(calls).toHaveLength(1); // nothing sent while the first request is in flight
  calls[0].finish();
  await first;
  await flushMicrotasks();
  expect(calls).toHaveLength(2);
  expect(calls[1].batch.acks).toBe(-1);
  expect(values(calls[1].batch)).toEqual([
    't:b-0',
    't:b-1',
    't:d-0',
    't:d-1',
    't:d-2',
    't:d-3',
    't:d-4',
    'u:c-0',
    'u:c-1',
    'u:c-2',
  ]);
  calls[1].finish();
  await flushMicrotasks();
  expect(settled).toEqual(['a', 'b', 'c', 'd']);
  expect(values(calls[2].batch)).toEqual(['t:e-0']);
  calls[2].finish();
  await Promise.all(rest);
  expect(settled).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(maxInFlight()).toBe(1);
});

test('a send larger than a request is split, and resolves when all its parts are acknowledged', async () => {
  const { producer, calls } = scriptedProducer();
  const sender = createKafkaSender(async () => producer, 4);
  let done = false;
  const big = sender.send('t', msgs('x', 9)).then(() => (done = true));
  await flushMicrotasks();
  expect(values(calls[0].batch)).toEqual(['t:x-0', 't:x-1', 't:x-2', 't:x-3']);
  calls[0].finish();
  await flushMicrotasks();
  expect(values(calls[1].batch)).toEqual(['t:x-4', 't:x-5', 't:x-6', 't:x-7']);
  calls[1].finish();
  await flushMicrotasks();
  expect(done).toBe(false);
  calls[2].finish();
  await big;
  expect(done).toBe(true);
});

test('callers are grouped only up to the byte limit; a caller too large on its own goes alone', async () => {
  const { producer, calls } = scriptedProducer();
  const sender = createKafkaSender(async () => producer, 1_000, 100, NO_RETRY);
  const blob = (prefix: string, bytes: number) => [{ key: prefix, value: prefix + 'x'.repeat(bytes - 2) }];
  const first = sender.send('t', blob('a', 10));
  await flushMicrotasks();
  const rest = [
    sender.send('t', blob('b', 40)),
    sender.send('t', blob('c', 40)), // b + c = 80 bytes: one request
    sender.send('t', blob('d', 40)), // would make 120: next request
    sender.send('t', blob('e', 500)), // too large alone: a request of its own
  ];
  calls[0].finish();
  await first;
  await flushMicrotasks();
  expect(values(calls[1].batch).map((v) => v.slice(0, 3))).toEqual(['t:b', 't:c']);
  calls[1].finish();
  await flushMicrotasks();
  expect(values(calls[2].batch).map((v) => v.slice(0, 3))).toEqual(['t:d']);
  calls[2].finish();
  await flushMicrotasks();
  expect(values(calls[3].batch).map((v) => v.slice(0, 3))).toEqual(['t:e']);
  calls[3].finish(new Error('MESSAGE_TOO_LARGE'));
  await expect(rest[3]).rejects.toThrow('MESSAGE_TOO_LARGE');
  await Promise.all(rest.slice(0, 3));
});

test('a failed request rejects only the callers it carried; later callers still get through', async () => {
  const { producer, calls } = scriptedProducer();
  const sender = createKafkaSender(async () => producer, 10, undefined, NO_RETRY);
  const a = sender.send('t', msgs('a', 1));
  await flushMicrotasks();
  const b = sender.send('t', msgs('b', 1));
  calls[0].finish(new Error('broker gone'));
  await expect(a).rejects.toThrow('broker gone');
  await flushMicrotasks();
  calls[1].finish();
  await expect(b).resolves.toBeUndefined();
});

test('after a failed request the next one goes out on a new producer, and the failed one is closed', async () => {
  const opened: {
    producer: Producer;
    calls: ReturnType<typeof scriptedProducer>['calls'];
    closed: boolean;
  }[] = [];
  const sender = createKafkaSender(
    async () => {
      const s = scriptedProducer();
      const entry = { producer: s.producer, calls: s.calls, closed: false };
      s.producer.disconnect = async () => void (entry.closed = true);
      opened.push(entry);
      return s.producer;
    },
    10,
    undefined,
    NO_RETRY,
  );
  const a = sender.send('t', msgs('a', 1));
  await flushMicrotasks();
  opened[0].calls[0].finish();
  await a;
  const b = sender.send('t', msgs('b', 1));
  await flushMicrotasks();
  expect(opened).toHaveLength(1); // a success keeps the producer
  opened[0].calls[1].finish(new Error('broker gone'));
  await expect(b).rejects.toThrow('broker gone');
  const c = sender.send('t', msgs('c', 1));
  await flushMicrotasks();
  expect(opened).toHaveLength(2);
  expect(opened[0].closed).toBe(true);
  expect(opened[0].calls).toHaveLength(2);
  expect(values(opened[1].calls[0].batch)).toEqual(['t:c-0']);
  opened[1].calls[0].finish();
  await c;
  await sender.close();
  expect(opened[1].closed).toBe(true);
});

test('a failed request is sent again whole on a new producer; a bad request is not retried', async () => {
  const opened: ReturnType<typeof scriptedProducer>[] = [];
  const sender = createKafkaSender(
    async () => {
      opened.push(scriptedProducer());
      return opened.at(-1)!.producer;
    },
    10,
    undefined,
    { attempts: 3, initialMs: 1, maxMs: 1 },
  );
  const a = sender.send('t', msgs('a', 2));
  await flushMicrotasks();
  opened[0].calls[0].finish(new Error('connection lost'));
  await waitFor('the retry', async () => opened.length === 2 && opened[1].calls.length === 1, 5_000, 1);
  expect(values(opened[1].calls[0].batch)).toEqual(['t:a-0', 't:a-1']);
  opened[1].calls[0].finish();
  await expect(a).resolves.toBeUndefined();
  const tooLarge = Object.assign(new Error('MESSAGE_TOO_LARGE'), { retriable: false });
  const b = sender.send('t', msgs('b', 1));
  await flushMicrotasks();
  opened[1].calls[1].finish(tooLarge);
  await expect(b).rejects.toThrow('MESSAGE_TOO_LARGE');
  expect(opened).toHaveLength(2); // not sent again; its producer retired all the same
  const c = sender.send('t', msgs('c', 1));
  for (let i = 2; i < 5; i++) {
    await waitFor('an attempt', async () => opened[i]?.calls.length === 1, 5_000, 1);
    opened[i].calls[0].finish(new Error('broker gone'));
  }
  await expect(c).rejects.toThrow('broker gone'); // three attempts, then the caller hears of it
});

test('against the real broker: a request refused for one partition loses nothing sent after it', async () => {
  // KafkaJS rolls back the sequence numbers of every partition in a failed request, also of the one the
  // broker wrote; on the same producer the next single message there reused a written sequence number,
  // was taken for a duplicate, acknowledged, and dropped.
  const cfg = testConfig();
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const open = `test-sender-open-${randomUUID()}`;
  const small = `test-sender-small-${randomUUID()}`;
  await admin.createTopics({
    topics: [
      { topic: open, numPartitions: 1 },
      { topic: small, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1024' }] },
    ],
    waitForLeaders: true,
  });
  const sender = await connectKafkaSender(kafka);
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  try {
    const warmUp = sender.send(open, [{ value: 'warm-up' }]);
    // Both wait for the warm-up's request and then share one: the open topic's message is written,
    // the small topic's is refused (MESSAGE_TOO_LARGE), and the request fails for both callers.
    const shared = [
      sender.send(open, [{ value: 'written-but-refused' }]),
      sender.send(small, [{ value: 'x'.repeat(4_096) }]),
    ];
    await warmUp;
    const outcomes = await Promise.allSettled(shared);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    await sender.send(open, [{ value: 'after' }]);
    const [{ high }] = await admin.fetchTopicOffsets(open);
    expect(Number(high)).toBe(3);
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: open, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
          if (seen.length === 3) resolve();
        },
      });
    });
    expect(seen).toEqual(['warm-up', 'written-but-refused', 'after']);
  } finally {
    await Promise.all([consumer.disconnect(), sender.close(), admin.disconnect()]);
  }
});

test('against the real broker: 300 concurrent callers, every message once, in each caller order', async () => {
  const cfg = testConfig();
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const topic = `test-sender-${randomUUID()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const sender = await connectKafkaSender(kafka);
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  try {
    const callers = Array.from({ length: 300 }, (_, i) => `k${i}`);
    await Promise.all(
      callers.map((k) =>
        sender.send(topic, [
          { key: k, value: `${k}:1` },
          { key: k, value: `${k}:2` },
        ]),
      ),
    );
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(600);
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
          if (seen.length === 600) resolve();
        },
      });
    });
    expect(new Set(seen).size).toBe(600);
    for (const k of callers) expect(seen.indexOf(`${k}:1`)).toBeLessThan(seen.indexOf(`${k}:2`));
  } finally {
    await Promise.all([consumer.disconnect(), sender.close(), admin.disconnect()]);
  }
});
