// Readiness of the three services bourse depends on, each checked for real with a deadline.
import type { Client, Connection } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import type { Redis } from './redis';

export type ServiceCheck = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: string };
export interface Readiness {
  ready: boolean;
  down: string[];
  checks: Record<'temporal' | 'kafka' | 'redis', ServiceCheck>;
}

export interface HealthDeps {
  temporal: Client;
  kafka: Kafka;
  redis: Redis;
  timeoutMs: number;
}

async function timed(timeoutMs: number, what: string, check: () => Promise<unknown>): Promise<ServiceCheck> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), deadline]);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (err) {
    return { ok: false, latencyMs: Date.now() - started, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness({ temporal, kafka, redis, timeoutMs }: HealthDeps): Promise<Readiness> {
  const [t, k, r] = await Promise.all([
    timed(timeoutMs, 'Temporal', async () => {
      const conn = temporal.connection as Connection; // createTemporalClient always gives a Connection
      const res = await conn.withDeadline(Date.now() + timeoutMs, () => conn.healthService.check({}));
      if (res.status !== 1) throw new Error(`Temporal health status ${res.status}`); // 1 = SERVING
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
  const checks = { temporal: t, kafka: k, redis: r };
  const down = Object.entries(checks)
    .filter(([, c]) => !c.ok)
    .map(([name]) => name);
  return { ready: down.length === 0, down, checks };
}
