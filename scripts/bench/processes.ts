// The bench's app processes (the real worker, consumer and API, and the baseline API): started on the
// bench stack with their output in its logs folder, their peak memory noted when they stop.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../wait';
import { spawnApp, stopChild } from '../stack/app-control';
import type { AppProcess } from '../stack/app-processes';
import { ROOT } from '../stack/spec';
import { peakRssMiB } from './bench-lib';
import { watchCpu, unwatchCpu } from './cpu';
import { BENCH_ENV, PROFILE_DIR, STACK_DIR } from './options';

/** The bench's own processes (not the product's), by kind: run like the app's, from the project root. */
const BENCH_SCRIPTS = {
  baseline: 'scripts/bench/baseline-api.ts',
  'ceiling-worker': 'scripts/bench/ceiling-worker.ts',
} as const;
type BenchScript = keyof typeof BENCH_SCRIPTS;
const isBenchScript = (kind: string): kind is BenchScript => kind in BENCH_SCRIPTS;

export interface Proc {
  name: string;
  child: ChildProcess;
}

export class BenchProcesses {
  /** Peak resident memory by process kind (worker-0s and worker-200ms count as worker), MiB. */
  readonly peakRss: Record<string, number> = {};
  readonly running = new Set<Proc>();

  constructor(private readonly profile: boolean) {}

  start(name: string, kind: AppProcess | BenchScript, env: Record<string, string> = {}): Proc {
    mkdirSync(join(STACK_DIR, 'logs'), { recursive: true });
    const out = openSync(join(STACK_DIR, 'logs', `${name}.log`), 'a');
    const stdio: StdioOptions = ['ignore', out, out];
    const opts = { env: { ...process.env, ...BENCH_ENV, ...env }, stdio };
    const child = isBenchScript(kind)
      ? spawn('node', ['--import', 'tsx', BENCH_SCRIPTS[kind]], { ...opts, cwd: ROOT })
      : spawnApp(kind, {
          ...opts,
          nodeFlags: this.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`] : [],
        });
    const proc = { name, child };
    this.running.add(proc);
    watchCpu(name, child.pid);
    return proc;
  }

  /** A worker with a verification delay from min to max (0 s for acceptance, short for completion). */
  startWorker(min: string, max = min): Proc {
    const name = min === max ? `worker-${min}` : `worker-${min}-${max}`;
    return this.start(name, 'worker', { VERIFY_DELAY_MIN: min, VERIFY_DELAY_MAX: max });
  }

  notePeak(name: string, pid: number | undefined): void {
    const mib = pid ? peakRssMiB(pid) : undefined;
    if (mib !== undefined) this.peakRss[name] = Math.max(this.peakRss[name] ?? 0, mib);
  }

  async stop(proc: Proc): Promise<void> {
    this.notePeak(proc.name.startsWith('worker-') ? 'worker' : proc.name, proc.child.pid);
    this.running.delete(proc);
    unwatchCpu(proc.name);
    await stopChild(proc.child, 60_000);
  }

  async stopAll(): Promise<void> {
    for (const p of [...this.running]) await this.stop(p);
  }
}

/** Until `url` answers below 500 (the process is up), for at most 60 s. */
export async function waitHttp(url: string, what: string): Promise<void> {
  await waitFor(what, async () => (await fetch(url)).status < 500, 60_000).catch(() => {
    throw new Error(`${what} did not answer ${url} within 60 s; see ${STACK_DIR}/logs`);
  });
}
