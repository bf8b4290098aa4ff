// A whole price pipeline on the test stack, in this process: a Temporal worker on a task queue of its
// own (so tests never pick up each other's runs), the simulated source, the real publisher, and a
// consumer group that starts at the topic's current end.
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  makeTelemetryFilterString,
} from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { createPriceActivities } from '../../activities/price-activities';
import { createKafka } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { priceMinuteRule } from '../../lib/prices/market-calendar';
import { startPriceConsumer, type RunningPriceConsumer } from '../../lib/prices/ingest/consumer';
import { createPricePublisher } from '../../lib/prices/publisher';
import { connectKafkaSender } from '../../lib/infra/kafka-sender';
import { createSimulatedSource } from '../../lib/prices/sources/simulated';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { newGroupAtEnd } from './price-helpers';
import { testConfig, testWorkflowBundle } from './test-stack';

export interface PricePipeline {
  taskQueue: string;
  client: Client;
  redis: Redis;
  kafka: Kafka;
  /** The watch list the worker's activity reads at each run. */
  stocks: string[];
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/** `overrides`: settings over the test stack's (another stack's addresses, for a file on its own). */
export async function startPricePipeline(
  stocks: string[],
  overrides: Record<string, string> = {},
): Promise<PricePipeline> {
  try {
    // Quiet: the outage test makes the core SDK warn about every failed poll while the server is down.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
  } catch {
    // Already installed by an earlier test file in this process.
  }
  const cfg = testConfig(overrides);
  const log = createLogger('test-pipeline', 'warn');
  const taskQueue = `test-prices-${randomUUID()}`;
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const client = createTemporalClient(cfg);
  const sender = await connectKafkaSender(kafka);
  const consumer: RunningPriceConsumer = await startPriceConsumer({
    kafka,
    redis,
    log,
    groupId: await newGroupAtEnd(kafka),
    concurrency: 6,
    maxAttempts: 3,
    fromBeginning: false,
  });
  const activities = createPriceActivities({
    source: createSimulatedSource(),
    publisher: createPricePublisher(sender),
    watchList: async () => pipeline.stocks,
    isPriceMinute: priceMinuteRule(cfg),
    log,
  });
  let worker: { w: Worker; connection: NativeConnection; running: Promise<void> } | undefined;
  const pipeline: PricePipeline = {
    taskQueue,
    client,
    redis,
    kafka,
    stocks,
    async startWorker() {
      const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
      const w = await Worker.create({
        connection,
        taskQueue,
        workflowBundle: await testWorkflowBundle(),
        activities,
      });
      worker = { w, connection, running: w.run() };
    },
    async stopWorker() {
      if (!worker) return;
      const { w, connection, running } = worker;
      worker = undefined;
      w.shutdown();
      await running;
      await connection.close();
    },
    async close() {
      await pipeline.stopWorker();
      await consumer.stop();
      await sender.close();
      await client.connection.close();
      redis.disconnect();
    },
  };
  return pipeline;
}
