// What both Kafka consumer processes (price-consumer.ts, order-events-consumer.ts) are around their
// consumer: Redis and Kafka clients, an ops server (/metrics, /healthz, /readyz) on the process's own
// port, ready when Kafka and Redis answer, and a graceful stop (consumer, ops server, clients).
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { RunningBatchConsumer } from '../lib/infra/batch-consumer';
import type { Config } from '../lib/infra/config';
import { createReadinessCheck } from '../lib/infra/health';
import { createKafka } from '../lib/infra/kafka';
import type { Logger } from '../lib/infra/logger';
import { createRegistry } from '../lib/infra/metrics';
import { startOpsServer } from '../lib/infra/ops-server';
import { runProcess } from '../lib/infra/process';
import { createRedis, type Redis } from '../lib/infra/redis';

export interface ConsumerProcess {
  /** The port of its ops server. */
  opsPort(cfg: Config): number;
  /** Starts the consumer (its metrics on `registry`); a crash it cannot recover from exits the process. */
  start(deps: {
    cfg: Config;
    log: Logger;
    kafka: Kafka;
    redis: Redis;
    registry: Registry;
    onFatal: (err: Error) => void;
  }): Promise<RunningBatchConsumer>;
  /** What the "consuming" log line says about it (its group, ...). */
  describe(cfg: Config): Record<string, unknown>;
}

export function runConsumerProcess(name: string, p: ConsumerProcess): void {
  runProcess(name, async (cfg, log) => {
    const redis = createRedis(cfg);
    await redis.ping();
    const kafka = createKafka(cfg);
    const registry = createRegistry();
    // Its lag is measured by the worker (a stopped consumer cannot report its own).
    const readiness = createReadinessCheck(cfg, { kafka, redis });
    const ops = await startOpsServer({
      host: cfg.OPS_HOST,
      port: p.opsPort(cfg),
      registry,
      // A consumer needs Kafka and Redis only.
      ready: async () => {
        const r = await readiness.check();
        return { ...r, ready: r.checks.kafka.ok && r.checks.redis.ok };
      },
      log,
    });
    const running = await p.start({ cfg, log, kafka, redis, registry, onFatal: () => process.exit(1) });
    log.info('consuming', p.describe(cfg));
    return async () => {
      await running.stop();
      await ops.close();
      await readiness.close();
      redis.disconnect();
    };
  });
}
