// Where the two cores go during a measured phase: CPU time (user + system, every thread, child
// processes included) of each of the bench's processes and services, from /proc/<pid>/stat, as cores
// (CPU seconds ÷ wall seconds). What is read (the process table, the clock) is a CpuSampler, so what
// the figures are made of can be checked with given samples.
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
export const TICKS_PER_SECOND = 100;

/** The load generator's name in a phase's cores: the bench process, not the stack it measures. */
export const LOAD_GENERATOR = 'bench (load)';

/** The processes a phase's figure covers, by name ("temporal", "worker-0s", "bench (load)"). */
const watched = new Map<string, number>([[LOAD_GENERATOR, process.pid]]);

export function watchCpu(name: string, pid: number | undefined): void {
  if (pid) watched.set(name, pid);
}

export function unwatchCpu(name: string): void {
  watched.delete(name);
}

/** One process as /proc/<pid>/stat tells it. */
export interface ProcessSample {
  pid: number;
  ppid: number;
  /** Its CPU ticks (utime + stime), its reaped children's (cutime + cstime) included. */
  ticks: number;
}

/** What withCpu reads: every process at one moment, and a monotonic clock. */
export interface CpuSampler {
  processes(): ProcessSample[];
  /** Seconds, monotonic. */
  seconds(): number;
}

/**
 * A /proc/<pid>/stat line: the command (which may hold spaces and parentheses) sits inside the first
 * "(" and the last ")"; after it, ppid is the 2nd field, utime, stime, cutime, cstime the 12th to 15th.
 */
export function parseStat(line: string): ProcessSample {
  const pid = Number(line.slice(0, line.indexOf(' (')));
  const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const [ppid, ...ticks] = [1, 11, 12, 13, 14].map((i) => Number(f[i]));
  if (!Number.isInteger(pid) || ticks.some((t) => !Number.isFinite(t))) {
    throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  }
  return { pid, ppid: ppid, ticks: ticks.reduce((a, b) => a + b, 0) };
}

/** The machine's own: /proc and process.hrtime. */
export const procSampler: CpuSampler = {
  processes() {
    const out: ProcessSample[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        out.push(parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8')));
      } catch {
        // gone meanwhile
      }
    }
    return out;
  },
  seconds: () => Number(process.hrtime.bigint()) / 1e9,
};

interface ProcessTable {
  ticks: Map<number, number>;
  children: Map<number, number[]>;
}

function processTable(samples: ProcessSample[]): ProcessTable {
  const table: ProcessTable = { ticks: new Map(), children: new Map() };
  for (const { pid, ppid, ticks } of samples) {
    table.ticks.set(pid, ticks);
    table.children.set(ppid, [...(table.children.get(ppid) ?? []), pid]);
  }
  return table;
}

/**
 * A process's CPU ticks with its live subtree (PostgreSQL's backends count as PostgreSQL), less the
 * subtrees of other watched processes (the bench starts the app processes: they are not its load).
 */
function subtreeTicks(table: ProcessTable, pid: number, others: Set<number>): number | undefined {
  if (!table.ticks.has(pid)) return undefined;
  let ticks = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    ticks += table.ticks.get(p) ?? 0;
    for (const child of table.children.get(p) ?? []) if (!others.has(child)) todo.push(child);
  }
  return ticks;
}

/**
 * Runs `phase` and returns its value with the cores each watched process used meanwhile (two decimals,
 * the busiest first). A process that was not there at both ends has no figure.
 */
export async function withCpu<T>(
  phase: () => Promise<T>,
  sampler: CpuSampler = procSampler,
): Promise<{ value: T; cores: Record<string, number> }> {
  const pids = new Map(watched);
  const othersOf = (pid: number) => new Set([...pids.values()].filter((p) => p !== pid));
  const start = processTable(sampler.processes());
  const before = new Map([...pids].map(([name, pid]) => [name, subtreeTicks(start, pid, othersOf(pid))]));
  const started = sampler.seconds();
  const value = await phase();
  const seconds = sampler.seconds() - started;
  const end = processTable(sampler.processes());
  const cores: Record<string, number> = {};
  for (const [name, pid] of pids) {
    const [a, b] = [before.get(name), subtreeTicks(end, pid, othersOf(pid))];
    if (a === undefined || b === undefined || seconds <= 0) continue;
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

/**
 * CPU milliseconds the whole stack (every watched process but the load generator) spent per unit of
 * work, from a phase's cores and its rate: Σ cores ÷ units/s × 1000. Undefined without a rate.
 */
export function stackCpuMsPer(cores: Record<string, number>, perSecond: number): number | undefined {
  if (!(perSecond > 0)) return undefined;
  const total = Object.entries(cores)
    .filter(([name]) => name !== LOAD_GENERATOR)
    .reduce((sum, [, c]) => sum + c, 0);
  return Math.round((total / perSecond) * 1000 * 10) / 10;
}
