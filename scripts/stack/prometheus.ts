// Prometheus for the local stack: Debian's `prometheus` package (pinned), on its own port, data and
// configuration under the stack folder. The scrape jobs and rules are deploy/prometheus's (the same
// the compose file mounts); only each job's targets are replaced by the local processes' ports.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Config } from '../../lib/infra/config';
import { ROOT, portOpen, type Log } from './local-stack';

/** Debian bookworm's prometheus (Prometheus 2.42.0), which ships promtool too. */
export const PROMETHEUS_DEB_VERSION = '2.42.0+ds-5+deb12u1';

export const PROMETHEUS_DIR = join(ROOT, 'deploy', 'prometheus');
export const PROMETHEUS_CONFIG = join(PROMETHEUS_DIR, 'prometheus.yml');
export const PROMETHEUS_RULES = join(PROMETHEUS_DIR, 'rules', 'bourse.yml');
export const PROMETHEUS_RULE_TESTS = join(PROMETHEUS_DIR, 'tests', 'bourse.test.yml');

/** Scrape job → its targets (host:port). */
export type ScrapeTargets = Record<string, string[]>;

export interface PrometheusSpec {
  /** The stack folder: Prometheus keeps its data, configuration, log and pid under <dir>/prometheus. */
  dir: string;
  port: number;
  targets: ScrapeTargets;
  /** Seconds between scrapes and rule evaluations (the repository's 15 s unless a test wants faster). */
  scrapeInterval?: string;
}

/** The jobs of deploy/prometheus/prometheus.yml on this machine's ports (as lib/infra/config says). */
export function localScrapeTargets(
  cfg: Pick<
    Config,
    | 'API_PORT'
    | 'WORKER_OPS_PORT'
    | 'WORKER_TEMPORAL_METRICS_PORT'
    | 'CONSUMER_OPS_PORT'
    | 'ORDER_EVENTS_CONSUMER_OPS_PORT'
  >,
  prometheusPort: number,
): ScrapeTargets {
  const at = (port: number) => [`127.0.0.1:${port}`];
  return {
    prometheus: at(prometheusPort),
    'bourse-api': at(cfg.API_PORT),
    'bourse-worker': at(cfg.WORKER_OPS_PORT),
    'bourse-worker-temporal': at(cfg.WORKER_TEMPORAL_METRICS_PORT),
    'bourse-price-consumer': at(cfg.CONSUMER_OPS_PORT),
    'bourse-order-events-consumer': at(cfg.ORDER_EVENTS_CONSUMER_OPS_PORT),
  };
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export interface DebianPackage {
  name: string;
  /** The version installed and tested. */
  version: string;
  commands: string[];
  /**
   * The package comes from Debian's security channel, which keeps only its latest build: once a
   * security update replaces `version`, the release's newest build is installed instead (and said).
   */
  securityUpdates?: boolean;
}

/** The versions `apt-cache madison <name>` lists, newest first. */
export function madisonVersions(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.split('|').map((f) => f.trim()))
    .filter((f) => f.length >= 3 && f[1])
    .map((f) => f[1]);
}

/**
 * What apt-get installs: the pinned version while the archive has it; for a security-channel package
 * whose pinned build was replaced, the newest the archive lists, with a line saying so.
 */
export function aptInstallTarget(pkg: DebianPackage, available: string[]): { target: string; note?: string } {
  const pinned = `${pkg.name}=${pkg.version}`;
  if (available.includes(pkg.version) || !pkg.securityUpdates || available.length === 0)
    return { target: pinned };
  return {
    target: `${pkg.name}=${available[0]}`,
    note:
      `Debian's archive no longer has ${pinned} (a security update replaced it): ` +
      `installing ${pkg.name} ${available[0]}`,
  };
}

/**
 * The commands of a Debian package on PATH: installs the package, pinned to `version`, with apt-get (as
 * root) when any is missing; otherwise throws a message naming the package to install.
 */
export function ensureDebianPackage(pkg: DebianPackage, log: Log): void {
  if (pkg.commands.every(has)) return;
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    throw new Error(
      `${pkg.commands.join(' and ')} missing: install Debian's ${pkg.name}=${pkg.version} (apt-get install ${pkg.name})`,
    );
  }
  if (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' }).status !== 0)
    throw new Error('apt-get update failed (see its output above)');
  const madison = spawnSync('apt-cache', ['madison', pkg.name], { encoding: 'utf8' });
  const { target, note } = aptInstallTarget(pkg, madisonVersions(madison.stdout ?? ''));
  log(note ?? `installing Debian's ${pkg.name} ${pkg.version} with apt-get`);
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', target], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`apt-get install ${target} failed (see its output above)`);
}

/** prometheus and promtool on PATH; installs the pinned Debian package (as root) if they are missing. */
export function ensurePrometheus(log: Log): { prometheus: string; promtool: string } {
  ensureDebianPackage(
    { name: 'prometheus', version: PROMETHEUS_DEB_VERSION, commands: ['prometheus', 'promtool'] },
    log,
  );
  return { prometheus: 'prometheus', promtool: 'promtool' };
}

/** deploy/prometheus/prometheus.yml with each job's targets replaced and the rules' path made absolute. */
export function localPrometheusConfig(targets: ScrapeTargets, scrapeInterval?: string): string {
  // The file's shape is ours (deploy/prometheus/prometheus.yml); parsed loosely, written back as YAML.
  const doc = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  if (scrapeInterval) {
    doc.global.scrape_interval = scrapeInterval;
    doc.global.evaluation_interval = scrapeInterval;
  }
  doc.rule_files = doc.rule_files.map((f) => join(PROMETHEUS_DIR, f));
  doc.scrape_configs = doc.scrape_configs.map((job) => ({
    ...job,
    static_configs: [{ targets: targets[job.job_name] ?? job.static_configs.flatMap((s) => s.targets) }],
  }));
  return stringify(doc);
}

const base = (spec: Pick<PrometheusSpec, 'dir'>) => join(spec.dir, 'prometheus');
const pidFile = (spec: Pick<PrometheusSpec, 'dir'>) => join(base(spec), 'prometheus.pid');
export const prometheusLog = (spec: Pick<PrometheusSpec, 'dir'>) => join(base(spec), 'prometheus.log');

function runningPid(spec: Pick<PrometheusSpec, 'dir'>): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(spec), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus (if this stack's is not already running) and waits until it is ready. With
 * `stopOnExit`, the calling process's exit stops it too (npm start's supervisor).
 */
export async function startPrometheus(
  spec: PrometheusSpec,
  log: Log,
  opts: { stopOnExit?: boolean } = {},
): Promise<RunningPrometheus> {
  const { prometheus } = ensurePrometheus(log);
  const dir = base(spec);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, localPrometheusConfig(spec.targets, spec.scrapeInterval));
  let pid = runningPid(spec);
  if (!pid) {
    if (await portOpen(spec.port)) {
      throw new Error(
        `port ${spec.port} for Prometheus is already taken by a process this stack did not start`,
      );
    }
    log(`starting prometheus on 127.0.0.1:${spec.port}`);
    const out = openSync(prometheusLog(spec), 'a');
    const child = spawn(
      prometheus,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${spec.port}`,
        '--web.enable-lifecycle',
        '--storage.tsdb.retention.time=15d',
      ],
      { detached: true, stdio: ['ignore', out, out], cwd: dir },
    );
    pid = child.pid!;
    writeFileSync(pidFile(spec), String(pid));
    child.unref();
  } else {
    // Already running: make it read the configuration just written.
    process.kill(pid, 'SIGHUP');
  }
  const url = `http://127.0.0.1:${spec.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (!runningPid(spec)) throw new Error(`prometheus exited during start-up; see ${prometheusLog(spec)}`);
    if (Date.now() > deadline) throw new Error(`prometheus not ready in 30 s; see ${prometheusLog(spec)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const running: RunningPrometheus = { url, pid, stop: () => stopPrometheus(spec, log) };
  if (opts.stopOnExit) {
    const p = pid;
    process.once('exit', () => {
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        // already gone
      }
    });
  }
  return running;
}

export async function stopPrometheus(spec: Pick<PrometheusSpec, 'dir'>, log: Log): Promise<void> {
  const pid = runningPid(spec);
  if (!pid) return;
  log(`stopping prometheus (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (runningPid(spec) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (runningPid(spec)) process.kill(pid, 'SIGKILL');
  if (existsSync(pidFile(spec))) rmSync(pidFile(spec), { force: true });
}
