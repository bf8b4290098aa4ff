// Temporal on PostgreSQL for the local stack (TEMPORAL_PERSISTENCE=postgres): the real Temporal server,
// its SQL schema tool and the Web UI server, built once from their Go modules (the same releases as the
// CLI's dev server) into .stack/tools/temporal-server-<version>/, against Debian's PostgreSQL 15 with
// its data under the stack's folder. The schemas are set up as Temporal's compose admin-tools set them
// up; the namespace and the order search attributes are registered once the frontend answers.
import { appendFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';
import { ROOT, type Log, type StackSpec } from './spec';
import { PrerequisiteError, run, temporalBinary, TOOLS_DIR } from './tools';

export const TEMPORAL_POSTGRES_VERSIONS = {
  server: '1.32.0', // go.temporal.io/server: the server inside Temporal CLI 1.9.1's dev server
  ui: '2.54.1', // github.com/temporalio/ui-server/v2: the UI inside the same dev server
  postgres: '15.18-0+deb12u1', // Debian bookworm's postgresql-15
} as const;

const V = TEMPORAL_POSTGRES_VERSIONS;
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';
const serverDir = join(TOOLS_DIR, `temporal-server-${V.server}`);
const bin = (name: string) => join(serverDir, 'bin', name);
export const temporalServerBin = bin('temporal-server');
const sqlToolBin = bin('temporal-sql-tool');
export const temporalUiBin = bin('temporal-ui-server');
const schemaDir = join(serverDir, 'schema', 'postgresql', 'v12');
const PG_BIN = '/usr/lib/postgresql/15/bin';
const DB = { user: 'temporal', password: 'temporal', main: 'temporal', visibility: 'temporal_visibility' };
/** Fixed for the life of a database: Temporal cannot change it once the cluster is set up. */
const HISTORY_SHARDS = 4;

/** PostgreSQL's port: beside the Temporal server's eight (temporalPort to temporalPort + 7). */
export const postgresPort = (spec: StackSpec) => spec.temporalPort + 10;
const pgDir = (spec: StackSpec) => join(spec.dir, 'postgres');
const pgData = (spec: StackSpec) => join(pgDir(spec), 'data');
export const postgresLog = (spec: StackSpec) => join(pgDir(spec), 'postgres.log');

const asRoot = () => process.getuid?.() === 0;

/** `run` without blocking the event loop: the other services' health checks go on meanwhile. */
function runAsync(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ ok: boolean; out: string }> {
  return new Promise((done) =>
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) =>
      done({ ok: !err, out: `${stdout}${stderr}${err && !stderr ? err.message : ''}` }),
    ),
  );
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` system user. */
function pg(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const exe = join(PG_BIN, cmd);
  return asRoot() ? runAsync('runuser', ['-u', 'postgres', '--', exe, ...args]) : runAsync(exe, args);
}

function provisionPostgres(log: Log): void {
  if (existsSync(join(PG_BIN, 'postgres'))) return;
  if (!asRoot() || !run('sh', ['-c', 'command -v apt-get']).ok) {
    throw new PrerequisiteError(
      `Temporal on PostgreSQL needs PostgreSQL 15 in ${PG_BIN}; install it (apt-get install postgresql-15=${V.postgres})`,
    );
  }
  log(`installing Debian's postgresql-15 ${V.postgres} with apt-get`);
  const r = run(
    'sh',
    [
      '-c',
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15=${V.postgres}`,
    ],
    { stdio: 'inherit' },
  );
  if (!r.ok) throw new PrerequisiteError(`apt-get install postgresql-15=${V.postgres} failed (see above)`);
}

/** `go install`s one module's packages, each binary renamed as given; returns the seconds it took. */
function goInstall(module: string, version: string, packages: Record<string, string>): number {
  const gobin = join(serverDir, 'gobin');
  rmSync(gobin, { recursive: true, force: true });
  const started = Date.now();
  const r = run('go', ['install', ...Object.keys(packages).map((p) => `${module}/${p}@v${version}`)], {
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-modcacherw' },
    stdio: 'inherit',
  });
  if (!r.ok) throw new PrerequisiteError(`go install of ${module}@v${version} failed (see above)`);
  for (const [pkg, name] of Object.entries(packages))
    renameSync(join(gobin, pkg.split('/').pop()!), bin(name));
  rmSync(gobin, { recursive: true, force: true });
  return (Date.now() - started) / 1000;
}

/** The module's folder in the Go module cache (downloading it if need be). */
function moduleDir(module: string, version: string): string {
  const r = run('go', ['mod', 'download', '-json', `${module}@v${version}`]);
  const dir = r.ok ? (JSON.parse(r.out) as { Dir?: string }).Dir : undefined;
  if (!dir) throw new PrerequisiteError(`go mod download ${module}@v${version} failed:\n${r.out}`);
  return dir;
}

/**
 * Builds the Temporal server, temporal-sql-tool and the UI server through the Go module proxy, once
 * (a cold build takes many minutes: docs/reliability.md, "Temporal on PostgreSQL"), with the
 * PostgreSQL schema files copied beside them from the server's module source.
 */
function buildTemporalServer(log: Log): void {
  const missing = (...files: string[]) => files.some((f) => !existsSync(f));
  if (!missing(temporalServerBin, sqlToolBin, temporalUiBin, schemaDir)) return;
  if (!run('sh', ['-c', 'command -v go']).ok)
    throw new PrerequisiteError('Temporal on PostgreSQL is built with Go; install Go (https://go.dev/dl)');
  mkdirSync(join(serverDir, 'bin'), { recursive: true });
  const built: string[] = [];
  if (missing(temporalServerBin, sqlToolBin)) {
    log(`building Temporal server ${V.server} and temporal-sql-tool with go install (once; many minutes)`);
    const s = goInstall(SERVER_MODULE, V.server, {
      'cmd/server': 'temporal-server',
      'cmd/tools/sql': 'temporal-sql-tool',
    });
    built.push(`${SERVER_MODULE}@v${V.server} (cmd/server, cmd/tools/sql): ${s.toFixed(0)} s`);
  }
  if (missing(temporalUiBin)) {
    log(`building the Temporal UI server ${V.ui} with go install`);
    const s = goInstall(UI_MODULE, V.ui, { 'cmd/server': 'temporal-ui-server' });
    built.push(`${UI_MODULE}@v${V.ui} (cmd/server): ${s.toFixed(0)} s`);
  }
  if (missing(schemaDir)) {
    cpSync(
      join(moduleDir(SERVER_MODULE, V.server), 'schema', 'postgresql'),
      join(serverDir, 'schema', 'postgresql'),
      {
        recursive: true,
      },
    );
  }
  const go = run('go', ['version']).out.trim();
  appendFileSync(
    join(serverDir, 'BUILD'),
    built.map((line) => `${new Date().toISOString()} ${go}: ${line}\n`).join(''),
  );
  for (const line of built) log(`built ${line}`);
}

/** Installs PostgreSQL and builds the Temporal server, whichever is missing. */
export function provisionTemporalPostgres(log: Log): void {
  provisionPostgres(log);
  buildTemporalServer(log);
}

async function sqlTool(spec: StackSpec, db: string, args: string[]): Promise<void> {
  const r = await runAsync(sqlToolBin, [
    '--plugin',
    'postgres12',
    '--ep',
    '127.0.0.1',
    '-p',
    String(postgresPort(spec)),
    '-u',
    DB.user,
    '--pw',
    DB.password,
    '--db',
    db,
    ...args,
  ]);
  if (!r.ok) throw new Error(`temporal-sql-tool --db ${db} ${args.join(' ')} failed:\n${r.out}`);
}

/** First start: a fresh cluster owned by the `temporal` user (password auth on 127.0.0.1 only). */
async function initCluster(spec: StackSpec): Promise<void> {
  const dir = pgDir(spec);
  mkdirSync(dir, { recursive: true });
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${DB.password}\n`, { mode: 0o600 });
  if (asRoot()) {
    const own = run('chown', ['-R', 'postgres:postgres', dir]);
    if (!own.ok)
      throw new PrerequisiteError(`chown postgres ${dir} failed (is there a postgres user?): ${own.out}`);
  }
  const r = await pg('initdb', [
    '-D',
    pgData(spec),
    '-U',
    DB.user,
    `--pwfile=${pwfile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--no-locale',
  ]);
  rmSync(pwfile, { force: true });
  if (!r.ok) throw new Error(`initdb failed:\n${r.out}`);
}

const postgresRunning = async (spec: StackSpec) =>
  existsSync(join(pgData(spec), 'PG_VERSION')) && (await pg('pg_ctl', ['-D', pgData(spec), 'status'])).ok;

/**
 * Starts PostgreSQL (initialising its cluster the first time) and sets up Temporal's two databases as
 * compose's admin-tools do: create, setup-schema -v 0.0, update-schema to the newest versioned schema.
 * Each step runs once (a marker file beside the data records it); a new server version updates again.
 */
export async function startPostgres(spec: StackSpec, log: Log, portOpen: (port: number) => Promise<boolean>) {
  if (!(await postgresRunning(spec))) {
    if (await portOpen(postgresPort(spec))) {
      throw new Error(
        `port ${postgresPort(spec)} for PostgreSQL is already taken by a process this stack did not start (${spec.dir})`,
      );
    }
    const fresh = !existsSync(join(pgData(spec), 'PG_VERSION'));
    if (fresh) await initCluster(spec);
    log(`starting PostgreSQL on ${postgresPort(spec)}`);
    const r = await pg('pg_ctl', [
      '-D',
      pgData(spec),
      '-l',
      postgresLog(spec),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${postgresPort(spec)} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`,
      'start',
    ]);
    if (!r.ok) throw new Error(`PostgreSQL did not start; see ${postgresLog(spec)}\n${r.out}`);
  }
  const created = join(pgDir(spec), 'databases-created');
  const updated = join(pgDir(spec), `schema-${V.server}`);
  const dbs = [
    [DB.main, 'temporal'],
    [DB.visibility, 'visibility'],
  ] as const;
  if (!existsSync(created)) {
    for (const [db] of dbs) {
      await sqlTool(spec, db, ['create']);
      await sqlTool(spec, db, ['setup-schema', '-v', '0.0']);
    }
    writeFileSync(created, `${new Date().toISOString()}\n`);
  }
  if (!existsSync(updated)) {
    for (const [db, schema] of dbs)
      await sqlTool(spec, db, ['update-schema', '-d', join(schemaDir, schema, 'versioned')]);
    writeFileSync(updated, `${new Date().toISOString()}\n`);
  }
}

export async function stopPostgres(spec: StackSpec, log: Log): Promise<void> {
  if (!(await postgresRunning(spec))) return;
  log('stopping PostgreSQL');
  const r = await pg('pg_ctl', ['-D', pgData(spec), '-m', 'fast', '-w', 'stop']);
  if (!r.ok) throw new Error(`pg_ctl stop failed:\n${r.out}`);
}

/** The server's configuration (JSON is YAML), written beside its data at each start. */
function serverConfig(spec: StackSpec) {
  const T = spec.temporalPort;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${postgresPort(spec)}`,
      connectProtocol: 'tcp',
      user: DB.user,
      password: DB.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number) => ({ grpcPort, membershipPort: grpcPort + 1, bindOnLocalHost: true });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      // Advanced visibility on the SQL store: custom search attributes and List filters on them.
      visibilityStore: 'visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: { default: store(DB.main, 20), visibility: store(DB.visibility, 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `127.0.0.1:${spec.temporalUiPort + 2}`,
        },
      },
    },
    services: {
      frontend: { rpc: { ...rpc(T), httpPort: spec.temporalUiPort + 1 } },
      history: { rpc: rpc(T + 2) },
      matching: { rpc: rpc(T + 4) },
      worker: { rpc: rpc(T + 6) },
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${T}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    // The same dynamic config as docker-compose.yml's Temporal (Update-with-Start, search attributes).
    dynamicConfigClient: {
      filepath: join(ROOT, 'deploy', 'temporal-dynamicconfig.yaml'),
      pollInterval: '10s',
    },
  };
}

/** The Temporal server's command line (PostgreSQL must be up: startPostgres). */
export function temporalServerArgs(spec: StackSpec): string[] {
  const dir = join(spec.dir, 'temporal');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config.yaml');
  writeFileSync(file, JSON.stringify(serverConfig(spec), null, 2));
  return ['--config-file', file, '--allow-no-auth', 'start'];
}

/** The Web UI server's command line: the dev server's UI, on the same port, against the frontend. */
export function temporalUiArgs(spec: StackSpec): string[] {
  const dir = join(spec.dir, 'temporal-ui', 'config');
  mkdirSync(dir, { recursive: true });
  const cfg = {
    temporalGrpcAddress: `127.0.0.1:${spec.temporalPort}`,
    host: '127.0.0.1',
    port: spec.temporalUiPort,
    enableUi: true,
    defaultNamespace: 'default',
    cors: {
      allowOrigins: [`http://127.0.0.1:${spec.temporalUiPort}`, `http://localhost:${spec.temporalUiPort}`],
    },
  };
  writeFileSync(join(dir, 'base.yaml'), JSON.stringify(cfg, null, 2));
  writeFileSync(join(dir, 'development.yaml'), '{}\n');
  return ['--root', join(spec.dir, 'temporal-ui'), '--config', 'config', '--env', 'development', 'start'];
}

const cli = (spec: StackSpec, args: string[]) =>
  runAsync(temporalBinary(), [...args, '--address', `127.0.0.1:${spec.temporalPort}`], 10_000);

/**
 * The dev server makes the `default` namespace and the order search attributes itself; this server
 * has neither until asked. Idempotent; false while the frontend does not answer yet.
 */
export async function ensureNamespaceAndAttributes(spec: StackSpec): Promise<boolean> {
  const ns = ['--namespace', 'default'];
  if (!(await cli(spec, ['operator', 'namespace', 'describe', ...ns])).ok) {
    if (!(await cli(spec, ['operator', 'namespace', 'create', ...ns, '--retention', '72h'])).ok) return false;
  }
  const listed = await cli(spec, ['operator', 'search-attribute', 'list', ...ns, '-o', 'json']);
  if (!listed.ok) return false;
  for (const [name, type] of Object.entries(ORDER_SEARCH_ATTRIBUTES)) {
    if (listed.out.includes(`"${name}"`)) continue;
    if (
      !(await cli(spec, ['operator', 'search-attribute', 'create', ...ns, '--name', name, '--type', type])).ok
    )
      return false;
  }
  return true;
}
