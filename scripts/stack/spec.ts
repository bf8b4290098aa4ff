// A stack's layout: its folder, its ports, its services, and where each service's pid and log live.
import { join, resolve } from 'node:path';
import type { Config } from '../../lib/infra/config';

export const ROOT = resolve(__dirname, '..', '..');

export type ServiceName = 'redis' | 'kafka' | 'temporal';
export const SERVICES: readonly ServiceName[] = ['redis', 'kafka', 'temporal'];

export interface StackSpec {
  /** Folder for this stack's data, logs and pid files. */
  dir: string;
  temporalPort: number;
  temporalUiPort: number;
  kafkaPort: number;
  redisPort: number;
}

export function stackSpecFromConfig(cfg: Config): StackSpec {
  return {
    dir: resolve(ROOT, cfg.STACK_DIR),
    temporalPort: cfg.temporalPort,
    temporalUiPort: cfg.TEMPORAL_UI_PORT,
    kafkaPort: cfg.kafkaPort,
    redisPort: cfg.redisPort,
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

export const pidFile = (spec: StackSpec, svc: ServiceName) => join(spec.dir, 'run', `${svc}.pid`);
export const logFile = (spec: StackSpec, svc: ServiceName) => join(spec.dir, 'logs', `${svc}.log`);

/** Every port a service listens on (a port taken by another process stops its start). */
export function servicePorts(spec: StackSpec, svc: ServiceName): number[] {
  if (svc === 'redis') return [spec.redisPort];
  if (svc === 'kafka') return [spec.kafkaPort, spec.kafkaPort + 1];
  return [spec.temporalPort, spec.temporalUiPort, spec.temporalUiPort + 1, spec.temporalUiPort + 2];
}

export type Log = (msg: string) => void;
