// The chaos run's app processes: each copy logs to its own file, is SIGKILLed on demand, and is brought
// back (as a supervisor would) when it dies on its own, which is counted.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../lib/infra/config';
import { hasExited, spawnApp, stopChild } from '../stack/app-control';
import { instanceEnv, instanceName, type AppInstance, type AppProcess } from '../stack/app-processes';

export class ChaosApps {
  private children = new Map<string, ChildProcess>();
  /** Exits nobody asked for (a process that died of an outage on its own), by kind. */
  readonly selfExits: Record<AppProcess, number> = {
    api: 0,
    worker: 0,
    consumer: 0,
    'order-events-consumer': 0,
  };
  private stopping = false;

  constructor(
    private readonly cfg: Config,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly log: (line: string) => void,
  ) {}

  start(app: AppInstance): void {
    const name = instanceName(app);
    const out = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const child = spawnApp(app.kind, { env: { ...this.env, ...instanceEnv(this.cfg, app) } });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    this.children.set(name, child);
    child.once('exit', (code, signal) => {
      if (this.children.get(name) !== child || this.stopping) return;
      // Not killed by us: it died on its own. Count it and bring it back, as a supervisor would.
      this.selfExits[app.kind]++;
      this.log(`${name} exited on its own (code ${code}, signal ${signal}); restarting it`);
      setTimeout(() => {
        if (!this.stopping && this.children.get(name) === child) this.start(app);
      }, 1_000);
    });
  }

  async kill(app: AppInstance): Promise<void> {
    const name = instanceName(app);
    const child = this.children.get(name);
    this.children.delete(name);
    if (!child || hasExited(child)) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children.values()].map((child) => stopChild(child, 15_000)));
  }
}
