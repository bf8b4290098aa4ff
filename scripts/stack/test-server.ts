// Temporal's time-skipping test server (the Java io.temporal.testserver.TestServer), installed from
// Maven Central on first use and cached under .stack/tools; the SDK would otherwise download it from a
// host this project does not reach. Used by the workflow tests (TestWorkflowEnvironment.createTimeSkipping).
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TOOLS_DIR, type Log } from './local-stack';
import { mavenCopyDependencies } from './tools';

/** io.temporal:temporal-test-server, pinned in scripts/stack/test-server/pom.xml (keep the two equal). */
export const TEST_SERVER_VERSION = '1.38.0';

const installDir = join(TOOLS_DIR, `temporal-test-server-${TEST_SERVER_VERSION}`);
/** The executable the SDK starts as `<path> <port>`: a script that execs the JVM, so a kill reaches it. */
const launcher = join(installDir, 'temporal-test-server');

/**
 * Returns the path of the test server's launcher, installing it first if this machine lacks it.
 * Concurrent first runs are safe: each fetches into its own folder and the first rename wins.
 */
export function ensureTestServer(log: Log = (m) => process.stderr.write(`[test-server] ${m}\n`)): string {
  if (existsSync(launcher)) return launcher;
  mkdirSync(TOOLS_DIR, { recursive: true });
  const staging = `${installDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  log(`fetching temporal-test-server ${TEST_SERVER_VERSION} jars from Maven Central into ${installDir}`);
  try {
    mavenCopyDependencies(
      join(ROOT, 'scripts', 'stack', 'test-server', 'pom.xml'),
      join(staging, 'lib'),
      `temporal-test-server ${TEST_SERVER_VERSION}`,
      11,
    );
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
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
