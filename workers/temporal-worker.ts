// The Temporal worker process: serves the `prices` and `orders` task queues. Its ops server
// (/metrics, /healthz, /readyz) is on WORKER_OPS_PORT; the Temporal SDK's own metrics (task latencies,
// slots, sticky cache, activity outcomes) are on WORKER_TEMPORAL_METRICS_PORT, served by the SDK core.
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { createOrderActivities } from '../activities/orders';
import { createPriceActivities } from '../activities/price-activities';
import { createVerifier, observedVerifier } from '../activities/verifier';
import { createReadinessCheck } from '../lib/infra/health';
import { createOrderMetrics, createRegistry, registerConsumerLag } from '../lib/infra/metrics';
import { createPriceFetchMetrics } from '../lib/prices/metrics';
import { freePort, startOpsServer } from '../lib/infra/ops-server';
import type { Config } from '../lib/infra/config';
import type { Logger } from '../lib/infra/logger';
import { TOPICS, createKafka } from '../lib/infra/kafka';
import { priceMinuteRule } from '../lib/prices/market-calendar';
import { ensurePriceSchedule, priceScheduleOptions } from '../lib/prices/schedule';
import { createPricePublisher } from '../lib/prices/publisher';
import { connectKafkaSender } from '../lib/infra/kafka-sender';
import { createPriceSource } from '../lib/prices/sources';
import { runProcess } from '../lib/infra/process';
import { createRedis } from '../lib/infra/redis';
import { TASK_QUEUES } from '../lib/contracts/task-queues';
import { createTemporalClient } from '../lib/infra/temporal';
import { watchedStocks } from '../lib/store/watch-list';
import { workflowBundle } from './workflow-bundle';

/** The SDK runtime: its logs into ours, its metrics served by the core on `port`. */
function installRuntime(log: Logger, cfg: Config, port: number): void {
  Runtime.install({
    logger: {
      log: (level, message, meta) => {
        const lvl =
          level === 'TRACE' || level === 'DEBUG'
            ? 'debug'
            : level === 'WARN'
              ? 'warn'
              : level === 'ERROR'
                ? 'error'
                : 'info';
        log[lvl](message, meta ?? {});
      },
      trace: () => undefined,
      debug: (m, meta) => log.debug(m, meta ?? {}),
      info: (m, meta) => log.info(m, meta ?? {}),
      warn: (m, meta) => log.warn(m, meta ?? {}),
      error: (m, meta) => log.error(m, meta ?? {}),
    },
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
      metrics: {
        // Prometheus conventions: `_total` counters, durations in seconds with the unit in the name.
        prometheus: {
          bindAddress: `${cfg.OPS_HOST}:${port}`,
          countersTotalSuffix: true,
          unitSuffix: true,
          useSecondsForDurations: true,
        },
      },
    },
  });
}

runProcess('temporal-worker', async (cfg, log) => {
  try {
    installRuntime(log, cfg, cfg.WORKER_TEMPORAL_METRICS_PORT);
  } catch (err) {
    if (!/already in use/i.test((err as Error).message)) throw err;
    // As the ops server does: on one host with several workers, the second serves on a free port.
    const port = await freePort(cfg.OPS_HOST);
    log.warn('Temporal metrics port taken; serving on a free port instead', {
      port: cfg.WORKER_TEMPORAL_METRICS_PORT,
      instead: port,
    });
    installRuntime(log, cfg, port);
  }
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const redis = createRedis(cfg);
  const kafka = createKafka(cfg);
  // One producer for the process: price ticks and order events share its group commit. It is not
  // idempotent (KafkaJS flaws, lib/infra/kafka-sender.ts): delivery is at least once, consumers drop replays.
  const sender = await connectKafkaSender(kafka);
  const registry = createRegistry();
  const orderMetrics = createOrderMetrics(registry);
  const readiness = createReadinessCheck(cfg, { kafka, redis });
  // The consumers' lag, measured here: the worker produces both topics and runs while they stop.
  const admin = kafka.admin();
  await admin.connect();
  registerConsumerLag(registry, admin, [
    { groupId: cfg.PRICE_CONSUMER_GROUP, topic: TOPICS.prices },
    { groupId: cfg.ORDER_EVENTS_CONSUMER_GROUP, topic: TOPICS.orderEvents },
  ]);
  // Ready only once its task queues are polled: the workflow bundle takes seconds to build (a minute on
  // a loaded host), and a worker that answers /readyz before it polls would let a rollout, or the
  // chaos run, take its twin away while no worker serves the queues.
  let polling = false;
  const ops = await startOpsServer({
    host: cfg.OPS_HOST,
    port: cfg.WORKER_OPS_PORT,
    registry,
    ready: async () =>
      polling ? readiness.check() : { ready: false, workers: 'starting: bundling the workflows' },
    log,
  });
  const source = createPriceSource(cfg, log);
  const activitiesByQueue: Record<string, object> = {
    [TASK_QUEUES.prices]: createPriceActivities({
      source,
      publisher: createPricePublisher(sender),
      watchList: () => watchedStocks(redis, cfg),
      isPriceMinute: priceMinuteRule(cfg),
      log: log.child({ taskQueue: TASK_QUEUES.prices }),
      metrics: createPriceFetchMetrics(registry, source.name),
    }),
    [TASK_QUEUES.orders]: createOrderActivities({
      redis,
      sender,
      verifier: observedVerifier(createVerifier(cfg), orderMetrics.verificationSeconds),
      log: log.child({ taskQueue: TASK_QUEUES.orders }),
      onEventPublished: (event) => orderMetrics.orderFinal(event),
    }),
  };
  // One bundle of workflows/ for both task queues.
  const bundle = await workflowBundle(cfg.WORKFLOW_BUNDLE);
  log.info('workflow bundle ready', { prebuilt: cfg.WORKFLOW_BUNDLE || false });
  const workers = await Promise.all(
    Object.values(TASK_QUEUES).map((taskQueue) =>
      Worker.create({
        connection,
        namespace: cfg.TEMPORAL_NAMESPACE,
        taskQueue,
        workflowBundle: bundle,
        activities: activitiesByQueue[taskQueue] ?? {},
        maxConcurrentActivityTaskExecutions: cfg.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentWorkflowTaskExecutions: cfg.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        maxConcurrentLocalActivityExecutions: cfg.WORKER_MAX_LOCAL_ACTIVITIES,
        maxConcurrentWorkflowTaskPolls: cfg.WORKER_WORKFLOW_TASK_POLLERS,
        maxConcurrentActivityTaskPolls: cfg.WORKER_ACTIVITY_TASK_POLLERS,
        ...(cfg.WORKER_MAX_CACHED_WORKFLOWS === ''
          ? {}
          : { maxCachedWorkflows: cfg.WORKER_MAX_CACHED_WORKFLOWS }),
        // On SIGTERM, running activities get this long to finish (the SDK's default, 0, cancels them
        // at once: a verification in flight was aborted and asked again by the next worker). What is
        // still running after it is cancelled and retried elsewhere, inside its own timeout.
        shutdownGraceTime: Math.max(0, cfg.SHUTDOWN_GRACE - 5_000),
      }),
    ),
  );
  const running = Promise.all(workers.map((w) => w.run()));
  polling = true;
  // The schedule exists (and matches the configuration) whenever a worker that can serve it runs.
  const client = createTemporalClient(cfg);
  const outcome = await ensurePriceSchedule(client, priceScheduleOptions(cfg, TASK_QUEUES.prices));
  log.info(`price schedule ${outcome}`, { scheduleId: cfg.PRICE_SCHEDULE_ID, source: cfg.PRICE_SOURCE });
  await client.connection.close();
  running.catch((err: unknown) => {
    log.error('worker failed', { err });
    process.exit(1);
  });
  return async () => {
    // Worker.shutdown drains: in-flight activities finish (or hit their timeouts) first.
    for (const w of workers) w.shutdown();
    await running;
    await connection.close();
    await sender.close();
    await ops.close();
    await readiness.close();
    await admin.disconnect();
    redis.disconnect();
  };
});
