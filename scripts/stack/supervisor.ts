// The `npm start` supervisor's app side: runs the app processes with their output prefixed line by
// line, starts one that dies on its own again (with backoff, restart-policy.ts; given up on if it keeps
// dying, the others keep serving), and stops them all (drain, or at once).
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { seedProcessSeries, type SupervisorMetrics } from '../../lib/infra/metrics/supervisor';
import { spawnApp, stopChild } from './app-control';
import { APP_PROCESSES, instanceName, type AppProcess } from './app-processes';
import { createLineSplitter } from './line-splitter';
import { Restarter, type RestartPolicyOptions } from './restart-policy';

/** Copies a stream to `out` line by line, each line prefixed; a line split over chunks stays whole. */
export function prefixLines(from: Readable, out: Writable, prefix: string): void {
  const lines = createLineSplitter();
  const write = (ls: string[]) => {
    for (const line of ls) if (line) out.write(`${prefix}${line}\n`);
  };
  from.on('data', (chunk: Buffer) => write(lines.push(chunk)));
  from.on('end', () => write(lines.end()));
}

export interface SupervisorOptions {
  metrics: SupervisorMetrics;
  /** Where the loud lines go (a death, a restart, giving up). */
  loud: (line: string) => void;
  policy?: RestartPolicyOptions;
  /** How a process is run (tests pass a fake). */
  spawn?: (kind: AppProcess, env: NodeJS.ProcessEnv) => ChildProcess;
}

export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly restarters = new Map<string, Restarter>();
  private stopping = false;

  constructor(private readonly o: SupervisorOptions) {}

  /** Starts copy `instance` of a process (the HA layout runs two), with `env` over the supervisor's own. */
  start(kind: AppProcess, instance = 1, env: Record<string, string> = {}): void {
    const name = instanceName({ kind, instance });
    seedProcessSeries(this.o.metrics, name);
    const restarter: Restarter = new Restarter(name, {
      restart: () => this.launch(name, kind, env, restarter),
      loud: this.o.loud,
      onRestarted: () => this.o.metrics.restarts.inc({ process: name }),
      onGaveUp: () => this.o.metrics.givenUp.set({ process: name }, 1),
      ...(this.o.policy ? { policy: this.o.policy } : {}),
    });
    this.restarters.set(name, restarter);
    this.launch(name, kind, env, restarter);
  }

  /** The copies running now, by name (api, api-2, ...). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.children].map(([name, child]) => [name, child.pid]));
  }

  private launch(name: string, kind: AppProcess, env: Record<string, string>, restarter: Restarter): void {
    if (this.stopping) return;
    const spawn = this.o.spawn ?? ((k, e) => spawnApp(k, { env: e }));
    const child = spawn(kind, { ...process.env, ...env });
    this.children.set(name, child);
    this.o.metrics.up.set({ process: name }, 1);
    const prefix = `${name.padEnd(8)} | `;
    if (child.stdout) prefixLines(child.stdout, process.stdout, prefix);
    if (child.stderr) prefixLines(child.stderr, process.stderr, prefix);
    child.once('exit', (code, signal) => {
      if (this.children.get(name) === child) this.children.delete(name);
      this.o.metrics.up.set({ process: name }, 0);
      // A Ctrl-C reaches the children too, maybe before the supervisor's own handler has run: a beat
      // later, an exit during a stop is no news.
      setTimeout(() => {
        if (!this.stopping) restarter.died(`${APP_PROCESSES[kind]} exited with ${signal ?? `code ${code}`}`);
      }, 500);
    });
  }

  /** SIGTERM to every process, SIGKILL to any still running after `graceMs`; no more restarts. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopRestarts();
    await Promise.all([...this.children.values()].map((child) => stopChild(child, graceMs)));
  }

  /** SIGKILL to every process now (a second Ctrl-C). */
  killAll(): void {
    this.stopRestarts();
    for (const child of this.children.values()) child.kill('SIGKILL');
  }

  private stopRestarts(): void {
    this.stopping = true;
    for (const r of this.restarters.values()) r.stop();
  }
}
