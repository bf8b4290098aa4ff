// Where the two cores go during a measured phase: CPU time (user + system, every thread) of each of
// the bench's processes and services, from /proc/<pid>/stat, as cores (CPU seconds ÷ wall seconds).
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** The processes a phase's figure covers, by name ("temporal", "worker-0s", "bench (load)"). */
const watched = new Map<string, number>([['bench (load)', process.pid]]);

export function watchCpu(name: string, pid: number | undefined): void {
  if (pid) watched.set(name, pid);
}

export function unwatchCpu(name: string): void {
  watched.delete(name);
}

function cpuTicks(pid: number): number | undefined {
  try {
    // Fields after the command (which may hold spaces, inside parentheses): utime is the 12th, stime the 13th.
    const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(after[11]) + Number(after[12]);
  } catch {
    return undefined; // gone
  }
}

/** Runs `phase` and returns its value with the cores each watched process used meanwhile. */
export async function withCpu<T>(
  phase: () => Promise<T>,
): Promise<{ value: T; cores: Record<string, number> }> {
  const before = new Map([...watched].map(([name, pid]) => [name, cpuTicks(pid)]));
  const started = process.hrtime.bigint();
  const value = await phase();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cores: Record<string, number> = {};
  for (const [name, pid] of watched) {
    const [a, b] = [before.get(name), cpuTicks(pid)];
    if (a === undefined || b === undefined) continue;
    cores[name] = Math.round(((b - a) / TICKS_PER_SECOND / seconds) * 100) / 100;
  }
  return { value, cores: Object.fromEntries(Object.entries(cores).sort(([, x], [, y]) => y - x)) };
}

/** "temporal 0.91, worker-0s 0.52, …": the busiest first. */
export const coresText = (cores: Record<string, number>) =>
  Object.entries(cores)
    .filter(([, c]) => c >= 0.01)
    .map(([name, c]) => `${name} ${c.toFixed(2)}`)
    .join(', ');
