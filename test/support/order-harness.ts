// What the order tests share: a real orders worker in-process, the scripted verifier, users with API
// keys, a reader of Kafka `order-events`, and startOrderStack, which builds the usual set of the three
// with the API. The helpers of the other support modules are re-exported, so a test imports one module.
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { createOrderActivities } from '../../activities/orders';
import { connectKafkaSender, type KafkaSender } from '../../lib/infra/kafka-sender';
import { createHttpVerifier, type Verifier } from '../../activities/verifier';
import type { Config } from '../../lib/infra/config';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { type OrderEvent } from '../../lib/contracts/orders';
import { TASK_QUEUES } from '../../lib/contracts/task-queues';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { putPrice, SAIPA } from './accounts';
import { startApi, type Api, type ApiOptions } from './app-harness';
import { testConfig, testWorkflowBundle } from './test-stack';
import { startScriptedVerifier, type ScriptedVerifier } from './verifiers';

export { putPrice, SAIPA, userMoney } from './accounts';
export { authOf, keyFor, newUser, operatorKey, putUser } from './users';
export { bearer, http, type HttpAnswer } from './http';
export { SLOW_MS, startScriptedVerifier, type ScriptedVerifier } from './verifiers';
export { waitFor as eventually } from '../../scripts/wait';

export interface OrderWorker {
  redis: Redis;
  sender: KafkaSender;
  stop(): Promise<void>;
}

/** The real orders worker (workflows/ bundle + real activities) on the test stack. */
export async function startOrderWorker(verifier: Verifier, cfg: Config = testConfig()): Promise<OrderWorker> {
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const redis = createRedis(cfg);
  const sender = await connectKafkaSender(createKafka(cfg));
  const worker = await Worker.create({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: TASK_QUEUES.orders,
    workflowBundle: await testWorkflowBundle(),
    activities: createOrderActivities({
      redis,
      sender,
      verifier,
      log: createLogger('worker-test', 'error'),
    }),
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  return {
    redis,
    sender,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await sender.close();
      redis.disconnect();
    },
  };
}

export const httpVerifier = (url: string) => createHttpVerifier(url);

/**
 * Collects every `order-events` message, by order id (from the topic's beginning: a new group reading
 * from its end could join after the first event of an order placed at once). Messages that are not
 * JSON are other tests' poison messages (the dead-letter tests write them): skipped, not a crash.
 */
export async function watchOrderEvents(cfg: Config = testConfig()): Promise<{
  events: Map<string, OrderEvent[]>;
  stop(): Promise<void>;
}> {
  const consumer: Consumer = createKafka(cfg).consumer({ groupId: `test-order-events-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.orderEvents, fromBeginning: true });
  const events = new Map<string, OrderEvent[]>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      let e: OrderEvent;
      try {
        e = JSON.parse(String(message.value)) as OrderEvent;
      } catch {
        return;
      }
      events.set(e.orderId, [...(events.get(e.orderId) ?? []), e]);
    },
  });
  return { events, stop: () => consumer.disconnect() };
}

/** Counts buyOrder workflows matching a visibility query (the Web UI's own search). */
export async function countOrders(temporal: Client, query: string): Promise<number> {
  const { count } = await temporal.workflow.count(`WorkflowType = "buyOrder" AND ${query}`);
  return count;
}

export interface OrderStack {
  verifier: ScriptedVerifier;
  worker: OrderWorker;
  api: Api;
  redis: Redis;
  stop(): Promise<void>;
}

/**
 * The usual order test set-up: the scripted verifier, the real orders worker calling it, the API on
 * the test stack (configuration overrides applied) and SAIPA priced at `price`.
 */
export async function startOrderStack(
  overrides: Record<string, string> = {},
  opts: ApiOptions & { price?: number } = {},
): Promise<OrderStack> {
  const verifier = await startScriptedVerifier();
  const worker = await startOrderWorker(httpVerifier(verifier.url));
  const api = await startApi(testConfig(overrides), opts);
  await putPrice(worker.redis, SAIPA, opts.price ?? 2_850);
  return {
    verifier,
    worker,
    api,
    redis: worker.redis,
    async stop() {
      await api.close();
      await worker.stop();
      await verifier.close();
    },
  };
}
