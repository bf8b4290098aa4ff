// Temporal's time-skipping test server (the Java io.temporal.testserver.TestServer), installed from
// Maven Central on first use and cached under .stack/tools; the SDK would otherwise download it from a
// host this project does not reach. Used by the workflow tests (TestWorkflowEnvironment.createTimeSkipping).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrerequisiteError, ROOT, TOOLS_DIR, type Log } from './local-stack';

/** io.temporal:temporal-test-server, pinned in scripts/stack/test-server/pom.xml (keep the two equal). */
export const TEST_SERVER_VERSION = '1.38.0';

const installDir = join(TOOLS_DIR, `temporal-test-server-${TEST_SERVER_VERSION}`);
/** The executable the SDK starts as `<path> <port>`: a script that execs the JVM, so a kill reaches it. */
const launcher = join(installDir, 'temporal-test-server');

function ok(cmd: string, args: string[], inherit = false): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: inherit ? 'inherit' : 'pipe' });
  return r.status === 0;
}

function javaMajor(): number {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r.status === 0 && m ? Number(m[1]) : 0;
}

/**
 * Returns the path of the test server's launcher, installing it first if this machine lacks it.
 * Concurrent first runs are safe: each fetches into its own folder and the first rename wins.
 */
export function ensureTestServer(log: Log = (m) => process.stderr.write(`[test-server] ${m}\n`)): string {
  if (existsSync(launcher)) return launcher;
  if (javaMajor() < 11) {
    throw new PrerequisiteError(
      "Temporal's time-skipping test server needs Java 11 or newer: apt-get install openjdk-17-jre-headless",
    );
  }
  if (!ok('sh', ['-c', 'command -v mvn'])) {
    throw new PrerequisiteError(
      "fetching Temporal's time-skipping test server needs Maven: apt-get install maven",
    );
  }
  mkdirSync(TOOLS_DIR, { recursive: true });
  const staging = `${installDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  log(`fetching temporal-test-server ${TEST_SERVER_VERSION} jars from Maven Central into ${installDir}`);
  const fetched = ok(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(ROOT, 'scripts', 'stack', 'test-server', 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${join(staging, 'lib')}`,
      '-DincludeScope=runtime',
    ],
    true,
  );
  if (!fetched) {
    rmSync(staging, { recursive: true, force: true });
    throw new PrerequisiteError(
      'mvn could not fetch temporal-test-server from Maven Central (see its output above)',
    );
  }
  // The SDK passes the port as the only argument; `exec` so that its kill of the child stops the JVM.
  // Serial GC and no JIT tiers beyond C1: the server starts within the SDK's 5 s readiness window on a busy host.
  writeFileSync(
    join(staging, 'temporal-test-server'),
    [
      '#!/bin/sh',
      `# Temporal time-skipping test server ${TEST_SERVER_VERSION} (written by scripts/stack/test-server.ts)`,
      'here=$(cd "$(dirname "$0")" && pwd)',
      'exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(join(staging, 'temporal-test-server'), 0o755);
  try {
    renameSync(staging, installDir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(launcher)) throw err; // not a lost race with another first run
  }
  return launcher;
}
