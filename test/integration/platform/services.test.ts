// Each service of the test stack works from Node for real.
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createKafka } from '../../../lib/infra/kafka';
import { createRedis } from '../../../lib/infra/redis';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { testConfig } from '../../support/test-stack';

const cfg = testConfig();

test('Temporal: a workflow and its activity round trip through a real worker', async () => {
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const taskQueue = `test-echo-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../../fixtures/echo-workflow'),
    activities: { shout: async (s: string) => s.toUpperCase() },
  });
  const client = createTemporalClient(cfg);
  try {
    const result = await worker.runUntil(
      client.workflow.execute<(s: string) => Promise<string>>('echo', {
        taskQueue,
        workflowId: taskQueue,
        args: ['salam'],
      }),
    );
    expect(result).toBe('echo: SALAM');
    const { OrderUser, OrderQuantity } = (
      await client.connection.operatorService.listSearchAttributes({
        namespace: cfg.TEMPORAL_NAMESPACE,
      })
    ).customAttributes;
    expect([OrderUser, OrderQuantity]).toEqual([2, 3]); // Keyword, Int
  } finally {
    await client.connection.close();
    await connection.close();
  }
});

test('Kafka: KafkaJS produces and consumes on the 3.9.x broker, topics created', async () => {
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  try {
    expect(await admin.listTopics()).toEqual(
      expect.arrayContaining(['stock-prices', 'stock-prices.dlq', 'order-events']),
    );
    const topic = `test-roundtrip-${randomUUID()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const value = JSON.stringify({ hello: 'tehran', id: randomUUID() });
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    await expect(received).resolves.toBe(value);
  } finally {
    await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
});

test('Redis: writes and reads, append-only persistence on', async () => {
  const redis = createRedis(cfg);
  try {
    const key = `test:${randomUUID()}`;
    await redis.hset(key, { credit: '150000000', reserved: '0' });
    expect(await redis.hgetall(key)).toEqual({ credit: '150000000', reserved: '0' });
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
  } finally {
    redis.disconnect();
  }
});
