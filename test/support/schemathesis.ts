// Schemathesis (PyPI, pinned with its dependencies in schemathesis-requirements.txt): installed on first
// use into .stack/tools/schemathesis-<version>/ by the same venv helper as the Temporal CLI, and run
// against a served OpenAPI document.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrerequisiteError, TOOLS_DIR, type Log } from '../../scripts/stack/local-stack';
import { installPythonVenv } from '../../scripts/stack/tools';

const REQUIREMENTS = join(__dirname, 'schemathesis-requirements.txt');

/** The pinned schemathesis version, as the requirements file says it. */
export function schemathesisVersion(): string {
  const pin = /^schemathesis==(\S+)$/m.exec(readFileSync(REQUIREMENTS, 'utf8'));
  if (!pin) throw new Error(`${REQUIREMENTS} pins no schemathesis==<version>`);
  return pin[1];
}

/**
 * The schemathesis executable, installed first if missing or installed from other pins. Throws (never
 * skips) with what to install when it cannot be installed.
 */
export function provisionSchemathesis(log: Log): string {
  const version = schemathesisVersion();
  const venv = join(TOOLS_DIR, `schemathesis-${version}`);
  const bin = join(venv, 'bin', 'schemathesis');
  const stamp = join(venv, 'requirements.txt');
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return bin;
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(TOOLS_DIR, { recursive: true });
  log(`installing schemathesis ${version} from PyPI (pins: ${REQUIREMENTS}) into ${venv}`);
  let ok: boolean;
  try {
    ok = installPythonVenv(venv, ['-r', REQUIREMENTS]);
  } catch (err) {
    if (!(err instanceof PrerequisiteError)) throw err;
    ok = false;
  }
  if (!ok || !existsSync(bin)) {
    rmSync(venv, { recursive: true, force: true });
    throw new Error(
      `schemathesis ${version} could not be installed into ${venv}. It needs python3 (3.11+) with venv ` +
        `and pip (apt-get install python3-venv python3-pip) and access to PyPI; by hand: ` +
        `python3 -m venv ${venv} && ${venv}/bin/pip install -r ${REQUIREMENTS}`,
    );
  }
  writeFileSync(stamp, wanted);
  return bin;
}

export interface SchemathesisOptions {
  /** The served document, e.g. http://127.0.0.1:4000/openapi.json. */
  schemaUrl: string;
  /** Extra request headers (NAME: value), sent with every request. */
  headers: Record<string, string>;
  seed: number;
  maxExamples: number;
  /** Folder for the reports (JUnit XML, NDJSON events) and schemathesis's working files. */
  reportDir: string;
  /** Seconds one request may take before schemathesis calls it a failure. */
  requestTimeout: number;
  /** A schemathesis.toml (dictionaries, parameter bindings), written beside the reports. */
  config?: string;
}

export interface SchemathesisRun {
  exitCode: number | null;
  /** Everything schemathesis printed (its report: operations, cases, findings). */
  output: string;
  junitPath: string;
  /** The command line, for a reader to rerun by hand. */
  command: string;
}

/** One `schemathesis run` with every check; async, so an API served by this process keeps answering. */
export async function runSchemathesis(bin: string, o: SchemathesisOptions): Promise<SchemathesisRun> {
  mkdirSync(o.reportDir, { recursive: true });
  const junitPath = join(o.reportDir, 'junit.xml');
  const configPath = join(o.reportDir, 'schemathesis.toml');
  writeFileSync(configPath, o.config ?? '');
  const args = [
    '--config-file',
    configPath,
    'run',
    o.schemaUrl,
    '--checks',
    'all',
    '--seed',
    String(o.seed),
    '--max-examples',
    String(o.maxExamples),
    '--workers',
    '1',
    '--continue-on-failure',
    '--generation-database',
    'none',
    '--request-timeout',
    String(o.requestTimeout),
    '--report',
    'junit,ndjson',
    '--report-dir',
    o.reportDir,
    '--report-junit-path',
    junitPath,
    '--no-color',
    ...Object.entries(o.headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]),
  ];
  const child = spawn(bin, args, {
    cwd: o.reportDir, // its working files (.hypothesis and the like) stay out of the repository
    env: { ...process.env, COLUMNS: '160', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // If jest stops this process first, schemathesis goes with it.
  const stop = () => child.kill('SIGKILL');
  process.once('exit', stop);
  const exitCode = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done(code));
  }).finally(() => process.off('exit', stop));
  writeFileSync(join(o.reportDir, 'output.txt'), output);
  const shown = args.map((a) => (/^Authorization: /.test(a) ? "'Authorization: Bearer $KEY'" : a));
  return { exitCode, output, junitPath, command: `${bin} ${shown.join(' ')}` };
}
