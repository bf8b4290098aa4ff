// Building Temporal on PostgreSQL's parts (TEMPORAL_POSTGRES_VERSIONS): the real Temporal server, its SQL
// schema tool and the Web UI server, once, from their Go modules (the same releases as the CLI's dev
// server) into .stack/tools/temporal-server-<version>/, with the PostgreSQL schema files beside them.
import { appendFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from './spec';
import { PrerequisiteError, run, TOOLS_DIR } from './tools';

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
export const sqlToolBin = bin('temporal-sql-tool');
export const temporalUiBin = bin('temporal-ui-server');
export const schemaDir = join(serverDir, 'schema', 'postgresql', 'v12');
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
export function buildTemporalServer(log: Log): void {
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
