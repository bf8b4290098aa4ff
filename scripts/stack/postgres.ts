// Debian's PostgreSQL 15 for the local stack's Temporal on PostgreSQL: installed with apt-get when
// missing, one cluster per stack folder (data under <stack>/postgres), run as the `postgres` user when
// bourse runs as root. Temporal's databases on it: temporal-postgres.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log, StackSpec } from './spec';
import { TEMPORAL_POSTGRES_VERSIONS as V } from './temporal-build';
import { PrerequisiteError, run } from './tools';

const PG_BIN = '/usr/lib/postgresql/15/bin';
export const DB = {
  user: 'temporal',
  password: 'temporal',
  main: 'temporal',
  visibility: 'temporal_visibility',
};
/** PostgreSQL's port: beside the Temporal server's eight (temporalPort to temporalPort + 7). */
export const postgresPort = (spec: StackSpec) => spec.temporalPort + 10;
export const pgDir = (spec: StackSpec) => join(spec.dir, 'postgres');
const pgData = (spec: StackSpec) => join(pgDir(spec), 'data');
export const postgresLog = (spec: StackSpec) => join(pgDir(spec), 'postgres.log');

/** The running postmaster's pid (the first line of its pid file), or undefined when it is not running. */
export function postgresPid(spec: StackSpec): number | undefined {
  try {
    return Number(readFileSync(join(pgData(spec), 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

const asRoot = () => process.getuid?.() === 0;

/** `run` without blocking the event loop: the other services' health checks go on meanwhile. */
export function runAsync(
  cmd: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<{ ok: boolean; out: string }> {
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

export function provisionPostgres(log: Log): void {
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

/** Starts PostgreSQL, initialising its cluster the first time; nothing if this stack's is running. */
export async function startPostgresServer(
  spec: StackSpec,
  log: Log,
  portOpen: (port: number) => Promise<boolean>,
) {
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
}

export async function stopPostgres(spec: StackSpec, log: Log): Promise<void> {
  if (!(await postgresRunning(spec))) return;
  log('stopping PostgreSQL');
  const r = await pg('pg_ctl', ['-D', pgData(spec), '-m', 'fast', '-w', 'stop']);
  if (!r.ok) throw new Error(`pg_ctl stop failed:\n${r.out}`);
}
