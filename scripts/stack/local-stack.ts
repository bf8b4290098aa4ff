// The local stack without Docker: provisions (first run) and starts real Temporal, Kafka and Redis
// processes, each with its data on disk under its stack folder; stops them again. The layout is in
// spec.ts, the tools in tools.ts, the services' command lines in service-args.ts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createKafka, ensureTopics, TOPICS } from '../../lib/infra/kafka';
import { ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';
import { sleep, waitFor } from '../wait';
import { kafkaNodeArgs } from './kafka-cluster';
import { readNodePid, startRedisCluster, stopRedisCluster } from './redis-cluster';
import { redisArgs, temporalArgs } from './service-args';
import {
  ALL_SERVICES,
  isKafka,
  kafkaNodes,
  logFile,
  pidFile,
  servicePorts,
  stackServices,
  type Log,
  type ProcessName,
  type ServiceName,
  type StackSpec,
} from './spec';
import {
  ensureNamespaceAndAttributes,
  provisionTemporalPostgres,
  startPostgres,
  stopPostgres,
  temporalServerArgs,
  temporalServerBin,
  temporalUiArgs,
  temporalUiBin,
} from './temporal-postgres';
import { provision, temporalBinary } from './tools';

export * from './spec';
export { PrerequisiteError, provision, temporalBinary, TOOLS_DIR, VERSIONS } from './tools';

export function readPid(spec: StackSpec, svc: ProcessName): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(spec, svc), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const sock = connect({ port, host });
    sock.setTimeout(1_000);
    sock.once('connect', () => {
      sock.destroy();
      done(true);
    });
    sock.once('error', () => done(false));
    sock.once('timeout', () => {
      sock.destroy();
      done(false);
    });
  });
}

/** Waits for a service's health check; the error names the service's log. */
async function healthy(what: string, check: () => Promise<boolean>, timeoutMs: number, logPath: string) {
  await waitFor(what, async () => (await check()) || undefined, timeoutMs).catch(() => {
    throw new Error(`${what} did not become healthy within ${timeoutMs / 1000} s; see ${logPath}`);
  });
}

function launch(spec: StackSpec, svc: ProcessName, cmd: string, args: string[]): void {
  mkdirSync(join(spec.dir, 'run'), { recursive: true });
  mkdirSync(join(spec.dir, 'logs'), { recursive: true });
  const out = openSync(logFile(spec, svc), 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], cwd: spec.dir });
  writeFileSync(pidFile(spec, svc), String(child.pid));
  child.unref();
}

async function temporalHealthy(spec: StackSpec): Promise<boolean> {
  if (spec.temporalPersistence === 'postgres' && !(await ensureNamespaceAndAttributes(spec))) return false;
  const r = spawnSync(
    temporalBinary(),
    ['operator', 'search-attribute', 'list', '--address', `127.0.0.1:${spec.temporalPort}`, '-o', 'json'],
    { encoding: 'utf8', timeout: 5_000 },
  );
  return r.status === 0 && Object.keys(ORDER_SEARCH_ATTRIBUTES).every((k) => r.stdout.includes(k));
}

const stackAdmin = (port: number) =>
  createKafka(
    { KAFKA_BROKERS: [`127.0.0.1:${port}`], KAFKA_CLIENT_ID: 'bourse-stack' },
    { retries: 0 },
  ).admin();

/**
 * A Kafka node is ready once it has joined the cluster and bourse's topics exist (made with one replica
 * per node of the stack; with three, creating them waits for all three to have joined).
 */
async function kafkaReady(spec: StackSpec, svc: ServiceName): Promise<boolean> {
  const node = kafkaNodes(spec).find((n) => n.svc === svc)!;
  if (!(await portOpen(node.port))) return false;
  const admin = stackAdmin(node.port);
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    if (!brokers.some((b) => b.nodeId === node.id)) return false;
    await ensureTopics(admin, kafkaNodes(spec).length);
    return true;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every partition of bourse's topics and of the consumer offsets has all its replicas in sync: a
 * restarted broker has caught up, so losing another one now would still leave two copies of everything.
 */
export async function kafkaInSync(spec: StackSpec, svc: ServiceName = 'kafka'): Promise<boolean> {
  const admin = stackAdmin(kafkaNodes(spec).find((n) => n.svc === svc)!.port);
  try {
    await admin.connect();
    // The consumer offsets' topic exists once a first consumer group has asked for its coordinator.
    const existing = new Set(await admin.listTopics());
    const { topics } = await admin.fetchTopicMetadata({
      topics: [...Object.values(TOPICS), '__consumer_offsets'].filter((t) => existing.has(t)),
    });
    return topics.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts one service (if not already running) and waits until it is healthy. Once `abort` has fired it
 * launches nothing more (a supervisor stopping during start-up stops exactly what was launched).
 */
export async function startService(
  spec: StackSpec,
  svc: ServiceName,
  log: Log,
  abort?: AbortSignal,
): Promise<void> {
  // Temporal on PostgreSQL: the database first (killing the Temporal server leaves it running).
  if (svc === 'temporal' && spec.temporalPersistence === 'postgres') await startPostgres(spec, log, portOpen);
  const running = readPid(spec, svc);
  if (!running) {
    // Never mistake someone else's server (another checkout's stack, a system Redis) for ours.
    const busy = (
      await Promise.all(servicePorts(spec, svc).map((p) => portOpen(p).then((open) => open && p)))
    ).find(Boolean);
    if (busy) {
      throw new Error(
        `port ${busy} for ${svc} is already taken by a process this stack did not start (${spec.dir}); ` +
          'stop it (another checkout: npm run stack:down there) or choose other ports (see README, Configuration)',
      );
    }
    abort?.throwIfAborted();
    log(`starting ${svc}`);
    if (svc === 'redis') launch(spec, svc, 'redis-server', redisArgs(spec));
    if (isKafka(svc)) launch(spec, svc, 'java', kafkaNodeArgs(spec, svc));
    if (svc === 'temporal') {
      if (spec.temporalPersistence === 'postgres')
        launch(spec, svc, temporalServerBin, temporalServerArgs(spec));
      else launch(spec, svc, temporalBinary(), temporalArgs(spec));
    }
  }
  const started = Date.now();
  if (svc === 'redis') await healthy('Redis', () => portOpen(spec.redisPort), 20_000, logFile(spec, svc));
  if (isKafka(svc)) {
    await healthy(svc, () => kafkaReady(spec, svc), 90_000, logFile(spec, svc));
    // In the HA layout a restarted broker is back once it has caught up with the other two.
    if (running === undefined && kafkaNodes(spec).length > 1) {
      await healthy(`${svc} in sync`, () => kafkaInSync(spec, svc), 120_000, logFile(spec, svc));
    }
  }
  if (svc === 'temporal') {
    // The server on PostgreSQL starts four services and, the first time, registers the namespace.
    const timeout = spec.temporalPersistence === 'postgres' ? 180_000 : 60_000;
    await healthy('Temporal', () => temporalHealthy(spec), timeout, logFile(spec, svc));
    // The dev server serves the Web UI itself; beside the server on PostgreSQL it is a process of its own.
    if (spec.temporalPersistence === 'postgres' && !readPid(spec, 'temporal-ui'))
      launch(spec, 'temporal-ui', temporalUiBin, temporalUiArgs(spec));
    await healthy('Temporal Web UI', () => portOpen(spec.temporalUiPort), 30_000, logFile(spec, svc));
  }
  if (!readPid(spec, svc)) throw new Error(`${svc} exited during start-up; see ${logFile(spec, svc)}`);
  log(`${svc} ${running ? 'already running' : 'healthy'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Stops one service: SIGTERM (or the given signal), then SIGKILL if it has not exited in time. */
export async function stopService(
  spec: StackSpec,
  svc: ProcessName,
  log: Log,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const pid = readPid(spec, svc);
  if (!pid) return;
  log(`stopping ${svc} (pid ${pid}, ${signal})`);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) process.kill(pid, 'SIGKILL');
  while (alive()) await sleep(50);
  rmSync(pidFile(spec, svc), { force: true });
}

export async function startStack(spec: StackSpec, log: Log, abort?: AbortSignal): Promise<void> {
  provision(log);
  if (spec.temporalPersistence === 'postgres') provisionTemporalPostgres(log);
  // Redis and Temporal start while Kafka's JVMs warm up; each is waited for on its own.
  const cluster = spec.redisCluster;
  await Promise.all([
    ...stackServices(spec).map((svc) => startService(spec, svc, log, abort)),
    ...(cluster ? [startRedisCluster(cluster, log)] : []),
  ]);
}

/** Stops every service of the stack's folder, whichever layout started it. */
export async function stopStack(spec: StackSpec, log: Log): Promise<void> {
  await Promise.all([
    ...[...ALL_SERVICES, 'temporal-ui' as const].map((svc) => stopService(spec, svc, log)),
    ...(spec.redisCluster ? [stopRedisCluster(spec.redisCluster, log)] : []),
  ]);
  await stopPostgres(spec, log);
}

export function stackStatus(spec: StackSpec): Record<string, number | undefined> {
  return Object.fromEntries([
    ...stackServices(spec).map((svc): [string, number | undefined] => [svc, readPid(spec, svc)]),
    ...(spec.redisCluster?.ports.map((port): [string, number | undefined] => [
      `redis-${port}`,
      readNodePid(spec.redisCluster!, port),
    ]) ?? []),
  ]);
}
