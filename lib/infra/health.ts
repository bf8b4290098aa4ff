// Readiness of the three services bourse depends on, each checked for real with a deadline.
import { Connection } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import type { Config } from './config';
import type { Redis } from './redis';
import { raceDeadline } from './deadline';

export type ServiceCheck = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: string };
export type ServiceKey = 'temporal' | 'kafka' | 'redis';
export interface Readiness {
  ready: boolean;
  down: ServiceKey[];
  checks: Record<ServiceKey, ServiceCheck>;
}

export interface ReadinessCheck {
  check(): Promise<Readiness>;
  close(): Promise<void>;
}

async function timed(timeoutMs: number, what: string, check: () => Promise<unknown>): Promise<ServiceCheck> {
  const started = Date.now();
  try {
    await raceDeadline(timeoutMs, () => new Error(`${what} did not answer within ${timeoutMs} ms`), check);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (err) {
    return { ok: false, latencyMs: Date.now() - started, error: (err as Error).message };
  }
}

export function createReadinessCheck(
  cfg: Pick<Config, 'TEMPORAL_ADDRESS' | 'READY_CHECK_TIMEOUT'>,
  { kafka, redis }: { kafka: Kafka; redis: Redis },
): ReadinessCheck {
  const timeoutMs = cfg.READY_CHECK_TIMEOUT;
  // A probe connection of its own, without the SDK's retry interceptor: one attempt per check.
  const probe = Connection.lazy({
    address: cfg.TEMPORAL_ADDRESS,
    connectTimeout: timeoutMs,
    interceptors: [],
  });
  return {
    async check() {
      const [temporal, kafkaCheck, redisCheck] = await Promise.all([
        timed(timeoutMs, 'Temporal', async () => {
          const res = await probe.withDeadline(Date.now() + timeoutMs, () => probe.healthService.check({}));
          if (Number(res.status) !== 1) throw new Error(`Temporal health status ${res.status}`); // 1 = SERVING
        }),
        timed(timeoutMs, 'Kafka', async () => {
          const admin = kafka.admin({ retry: { retries: 0 } });
          try {
            await admin.connect();
            await admin.describeCluster();
          } finally {
            void admin.disconnect();
          }
        }),
        timed(timeoutMs, 'Redis', async () => {
          if ((await redis.ping()) !== 'PONG') throw new Error('Redis did not answer PONG');
        }),
      ]);
      const checks = { temporal, kafka: kafkaCheck, redis: redisCheck };
      const down = (Object.keys(checks) as ServiceKey[]).filter((k) => !checks[k].ok);
      return { ready: down.length === 0, down, checks };
    },
    close: () => probe.close(),
  };
}
