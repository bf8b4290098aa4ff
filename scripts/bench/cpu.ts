// Where the two cores go during a measured phase: CPU time (user + system, every thread, child
// processes included) of each of the bench's processes and services, from /proc/<pid>/stat, as cores
// (CPU seconds ÷ wall seconds).
import { readdirSync, readFileSync } from 'node:fs';

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

interface ProcessTable {
  /** Each process's own CPU ticks, its reaped children's included. */
  ticks: Map<number, number>;
  children: Map<number, number[]>;
}

/** Every process's CPU ticks and children, from /proc. */
function processTable(): ProcessTable {
  const table: ProcessTable = { ticks: new Map(), children: new Map() };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command (which may hold spaces, inside parentheses): ppid is the 2nd,
      // utime, stime, cutime, cstime the 12th to 15th.
      const f = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const pid = Number(entry);
      const ppid = Number(f[1]);
      table.ticks.set(pid, Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
      table.children.set(ppid, [...(table.children.get(ppid) ?? []), pid]);
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/**
 * A process's CPU ticks with its live subtree (PostgreSQL's backends count as PostgreSQL), less the
 * subtrees of other watched processes (the bench starts the app processes: they are not its load).
 */
function subtreeTicks(table: ProcessTable, pid: number): number | undefined {
  if (!table.ticks.has(pid)) return undefined;
  const others = new Set([...watched.values()].filter((p) => p !== pid));
  let ticks = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    ticks += table.ticks.get(p) ?? 0;
    for (const child of table.children.get(p) ?? []) if (!others.has(child)) todo.push(child);
  }
  return ticks;
}

/** Runs `phase` and returns its value with the cores each watched process used meanwhile. */
export async function withCpu<T>(
  phase: () => Promise<T>,
): Promise<{ value: T; cores: Record<string, number> }> {
  const start = processTable();
  const before = new Map([...watched].map(([name, pid]) => [name, subtreeTicks(start, pid)]));
  const started = process.hrtime.bigint();
  const value = await phase();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const end = processTable();
  const cores: Record<string, number> = {};
  for (const [name, pid] of watched) {
    const [a, b] = [before.get(name), subtreeTicks(end, pid)];
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
