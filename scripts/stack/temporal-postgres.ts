// Temporal on PostgreSQL for the local stack (TEMPORAL_PERSISTENCE=postgres): the real Temporal server
// and its Web UI server (built by temporal-build.ts) against Debian's PostgreSQL 15 (postgres.ts). The
// schemas are set up as Temporal's compose admin-tools set them up; the namespace and the order search
// attributes are registered once the frontend answers.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';
import { DB, pgDir, postgresPort, provisionPostgres, runAsync, startPostgresServer } from './postgres';
import { ROOT, type Log, type StackSpec } from './spec';
import {
  buildTemporalServer,
  schemaDir,
  sqlToolBin,
  TEMPORAL_POSTGRES_VERSIONS as V,
} from './temporal-build';
import { temporalBinary } from './tools';

export { postgresLog, postgresPort, stopPostgres } from './postgres';
export { TEMPORAL_POSTGRES_VERSIONS, temporalServerBin, temporalUiBin } from './temporal-build';

/** Fixed for the life of a database: Temporal cannot change it once the cluster is set up. */
const HISTORY_SHARDS = 4;

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

/**
 * Starts PostgreSQL (postgres.ts) and sets up Temporal's two databases as compose's admin-tools do:
 * create, setup-schema -v 0.0, update-schema to the newest versioned schema. Each step runs once (a
 * marker file beside the data records it); a new server version updates again.
 */
export async function startPostgres(spec: StackSpec, log: Log, portOpen: (port: number) => Promise<boolean>) {
  await startPostgresServer(spec, log, portOpen);
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
