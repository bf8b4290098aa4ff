// A stack's layout: its folder, its ports, its services, and where each service's pid and log live.
import { join, resolve } from 'node:path';
import type { Config } from '../../lib/infra/config';

export const ROOT = resolve(__dirname, '..', '..');

export type ServiceName = 'redis' | 'kafka' | 'temporal';
export const SERVICES: readonly ServiceName[] = ['redis', 'kafka', 'temporal'];
/** A process with a pid file and a log: a service, or the Web UI server beside Temporal on PostgreSQL. */
export type ProcessName = ServiceName | 'temporal-ui';

export interface StackSpec {
  /** Folder for this stack's data, logs and pid files. */
  dir: string;
  temporalPort: number;
  temporalUiPort: number;
  kafkaPort: number;
  redisPort: number;
  /** sqlite: the CLI's dev server; postgres: the Temporal server on PostgreSQL (temporal-postgres.ts). */
  temporalPersistence: 'sqlite' | 'postgres';
}

export function stackSpecFromConfig(cfg: Config): StackSpec {
  return {
    dir: resolve(ROOT, cfg.STACK_DIR),
    temporalPort: cfg.temporalPort,
    temporalUiPort: cfg.TEMPORAL_UI_PORT,
    kafkaPort: cfg.kafkaPort,
    redisPort: cfg.redisPort,
    temporalPersistence: cfg.TEMPORAL_PERSISTENCE,
  };
}

/**
 * A stack's settings on the test port layout (Temporal 17233, UI 18233, Kafka 19092, Redis 16379,
 * API 13000), every port shifted by `offset`; used by the tests and the chaos run, with its own offset.
 */
export function stackEnv(offset: number, stackDir: string): Record<string, string> {
  const p = (port: number) => String(port + offset);
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${p(17233)}`,
    TEMPORAL_UI_PORT: p(18233),
    KAFKA_BROKERS: `127.0.0.1:${p(19092)}`,
    REDIS_URL: `redis://127.0.0.1:${p(16379)}`,
    API_PORT: p(13000),
    STACK_DIR: stackDir,
  };
}

export const pidFile = (spec: StackSpec, svc: ProcessName) => join(spec.dir, 'run', `${svc}.pid`);
export const logFile = (spec: StackSpec, svc: ProcessName) => join(spec.dir, 'logs', `${svc}.log`);

/**
 * Every port a process listens on (a port taken by another process stops its start). The Temporal
 * server on PostgreSQL runs four services in one process, each with a gRPC and a membership port:
 * temporalPort to temporalPort + 7 (PostgreSQL itself listens on temporalPort + 10).
 */
export function servicePorts(spec: StackSpec, svc: ProcessName): number[] {
  if (svc === 'redis') return [spec.redisPort];
  if (svc === 'kafka') return [spec.kafkaPort, spec.kafkaPort + 1];
  if (svc === 'temporal-ui') return [spec.temporalUiPort];
  const http = [spec.temporalUiPort + 1, spec.temporalUiPort + 2];
  if (spec.temporalPersistence === 'postgres')
    return [...Array.from({ length: 8 }, (_, i) => spec.temporalPort + i), ...http];
  return [spec.temporalPort, spec.temporalUiPort, ...http];
}

export type Log = (msg: string) => void;
