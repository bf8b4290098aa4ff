// Starting and stopping the app processes (the table in app-processes.ts), for the `npm start`
// supervisor, the chaos run and the bench alike.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { commandOf, type AppProcess } from './app-processes';
import { ROOT } from './spec';

export interface SpawnAppOptions {
  env?: NodeJS.ProcessEnv;
  /** Node flags put before the script (e.g. --cpu-prof). */
  nodeFlags?: string[];
  stdio?: StdioOptions;
}

/** Runs one app process from the project root, as npm start and docker-compose.yml run it. */
export function spawnApp(name: AppProcess, opts: SpawnAppOptions = {}): ChildProcess {
  const [cmd, ...args] = commandOf(name);
  return spawn(cmd, [...(opts.nodeFlags ?? []), ...args], {
    cwd: ROOT,
    env: opts.env ?? process.env,
    stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
  });
}

export const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * Stops a child: `signal` (SIGTERM: let it drain), then SIGKILL once `graceMs` has passed. Resolves
 * when it has exited, also when it already had.
 */
export async function stopChild(
  child: ChildProcess,
  graceMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
