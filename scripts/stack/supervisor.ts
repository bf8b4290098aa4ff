// The `npm start` supervisor's app side: runs the app processes with their output prefixed line by
// line, reports one that dies on its own, and stops them (drain, or at once).
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { spawnApp, stopChild } from './app-control';
import { APP_PROCESSES, instanceName, type AppProcess } from './app-processes';
import { createLineSplitter } from './line-splitter';

/** Copies a stream to `out` line by line, each line prefixed; a line split over chunks stays whole. */
export function prefixLines(from: Readable, out: Writable, prefix: string): void {
  const lines = createLineSplitter();
  const write = (ls: string[]) => {
    for (const line of ls) if (line) out.write(`${prefix}${line}\n`);
  };
  from.on('data', (chunk: Buffer) => write(lines.push(chunk)));
  from.on('end', () => write(lines.end()));
}

export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  /** `onDied` is told of a process that exited while nobody was stopping the supervisor. */
  constructor(private readonly onDied: (name: string, how: string) => void) {}

  /** Starts copy `instance` of a process (the HA layout runs two), with `env` over the supervisor's own. */
  start(kind: AppProcess, instance = 1, env: Record<string, string> = {}): void {
    const name = instanceName({ kind, instance });
    const child = spawnApp(kind, { env: { ...process.env, ...env } });
    this.children.set(name, child);
    const prefix = `${name.padEnd(8)} | `;
    prefixLines(child.stdout!, process.stdout, prefix);
    prefixLines(child.stderr!, process.stderr, prefix);
    child.once('exit', (code, signal) => {
      this.children.delete(name);
      // A Ctrl-C reaches the children too, maybe before the supervisor's own handler has run: a beat
      // later, an exit during a stop is no news.
      setTimeout(() => {
        if (!this.stopping)
          this.onDied(name, `${APP_PROCESSES[kind]} exited with ${signal ?? `code ${code}`}`);
      }, 500);
    });
  }

  /** SIGTERM to every process, SIGKILL to any still running after `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children.values()].map((child) => stopChild(child, graceMs)));
  }

  /** SIGKILL to every process now (a second Ctrl-C). */
  killAll(): void {
    this.stopping = true;
    for (const child of this.children.values()) child.kill('SIGKILL');
  }
}
