// A stack's layout: its folder, its ports, its services, and where each service's pid and log live.
import { join, resolve } from 'node:path';
import { redisUrlNodes } from '../../lib/infra/config';
import type { StackConfig } from './stack-config';
import { redisClusterSpec, redisClusterUrl, type RedisClusterSpec } from './redis-cluster';

export const ROOT = resolve(__dirname, '..', '..');

/** A service of the local stack; `kafka-2` and `kafka-3` are the HA layout's second and third brokers. */
export type ServiceName = 'redis' | 'kafka' | 'kafka-2' | 'kafka-3' | 'temporal';
/** The single-node stack's services. */
export const SERVICES: readonly ServiceName[] = ['redis', 'kafka', 'temporal'];
/** A process with a pid file and a log: a service, or the Web UI server beside Temporal on PostgreSQL. */
export type ProcessName = ServiceName | 'temporal-ui';
/** Every service a stack of any layout may run (what a stop looks for). */
export const ALL_SERVICES: readonly ServiceName[] = ['redis', 'kafka', 'kafka-2', 'kafka-3', 'temporal'];

export interface StackSpec {
  /** Folder for this stack's data, logs and pid files. */
  dir: string;
  temporalPort: number;
  temporalUiPort: number;
  kafkaPort: number;
  /**
   * Every broker's port (the first is kafkaPort): one, or three for the HA layout. Broker n's KRaft
   * controller listens on its port + 1.
   */
  kafkaPorts: readonly number[];
  redisPort: number;
  /** sqlite: the CLI's dev server; postgres: the Temporal server on PostgreSQL (temporal-postgres.ts). */
  temporalPersistence: 'sqlite' | 'postgres';
  /** The HA layout's Redis Cluster (six nodes from redisPort on) instead of one redis-server. */
  redisCluster?: RedisClusterSpec;
}

/** The Kafka brokers of a stack, by service name, in node-id order (node 1 is `kafka`). */
export function kafkaNodes(spec: StackSpec): { svc: ServiceName; id: number; port: number }[] {
  const names: ServiceName[] = ['kafka', 'kafka-2', 'kafka-3'];
  return spec.kafkaPorts.map((port, i) => ({ svc: names[i], id: i + 1, port }));
}

/** The services of this stack's layout (a Redis Cluster is started on its own, redis-cluster.ts). */
export function stackServices(spec: StackSpec): ServiceName[] {
  return [
    ...(spec.redisCluster ? [] : ['redis' as const]),
    ...kafkaNodes(spec).map((n) => n.svc),
    'temporal',
  ];
}

export const isKafka = (svc: string) => svc === 'kafka' || svc.startsWith('kafka-');

export function stackSpecFromConfig(cfg: StackConfig): StackSpec {
  const dir = resolve(ROOT, cfg.STACK_DIR);
  const redisNodes = redisUrlNodes(cfg.REDIS_URL);
  if (redisNodes.length !== 1 && redisNodes.length !== 6) {
    throw new Error(
      `the local stack runs one Redis or a cluster of 6 nodes; REDIS_URL names ${redisNodes.length}`,
    );
  }
  return {
    dir,
    temporalPort: cfg.temporalPort,
    temporalUiPort: cfg.TEMPORAL_UI_PORT,
    kafkaPort: cfg.kafkaPort,
    kafkaPorts: kafkaPortsOf(cfg.KAFKA_BROKERS),
    redisPort: cfg.redisPort,
    temporalPersistence: cfg.TEMPORAL_PERSISTENCE,
    ...(redisNodes.length > 1 ? { redisCluster: { dir, ports: redisNodes.map((n) => n.port) } } : {}),
  };
}

/**
 * The local stack runs one broker per address KAFKA_BROKERS names: one, or three (the HA layout).
 * Each address must be a local one with room for its controller on the next port.
 */
function kafkaPortsOf(brokers: readonly string[]): number[] {
  if (brokers.length !== 1 && brokers.length !== 3) {
    throw new Error(`the local stack runs 1 or 3 Kafka brokers; KAFKA_BROKERS names ${brokers.length}`);
  }
  return brokers.map((b) => Number(b.split(':')[1]));
}

/**
 * The HA layout of a configuration (`--ha`), as settings over it: three brokers on the first broker's
 * port, +2 and +4 (their controllers on +1, +3, +5), topics with 3 replicas; a Redis Cluster of three
 * masters and three replicas on the Redis port and the five after it (their cluster bus on +10000).
 * Every port stays within +0..+20 of its base, so stacks whose offsets are 100 apart never collide.
 */
export function haEnv(cfg: StackConfig): Record<string, string> {
  const [host, port] = cfg.KAFKA_BROKERS[0].split(':');
  const base = Number(port);
  return {
    KAFKA_BROKERS: [0, 2, 4].map((d) => `${host}:${base + d}`).join(','),
    KAFKA_REPLICATION_FACTOR: '3',
    REDIS_URL: redisClusterUrl(redisClusterSpec('', cfg.redisPort)),
    // Its own folder: a single-node stack's data never meets a three-node cluster's.
    STACK_DIR: `${cfg.STACK_DIR}-ha`,
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
  const broker = kafkaNodes(spec).find((n) => n.svc === svc);
  if (broker) return [broker.port, broker.port + 1];
  if (isKafka(svc)) return [];
  if (svc === 'temporal-ui') return [spec.temporalUiPort];
  const http = [spec.temporalUiPort + 1, spec.temporalUiPort + 2];
  if (spec.temporalPersistence === 'postgres')
    return [...Array.from({ length: 8 }, (_, i) => spec.temporalPort + i), ...http];
  return [spec.temporalPort, spec.temporalUiPort, ...http];
}

export type Log = (msg: string) => void;
