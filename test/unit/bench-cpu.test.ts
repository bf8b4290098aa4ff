// The bench's CPU by process (scripts/bench/cpu.ts), from given samples of the process table: a busy
// process counts as busy, an idle one as idle, a watched child's CPU is its own and not its parent's
// (the bench starts the app processes), an unwatched child's counts in its parent's figure.
import {
  coresText,
  parseStat,
  procSampler,
  unwatchCpu,
  watchCpu,
  withCpu,
  type CpuSampler,
  type ProcessSample,
} from '../../scripts/bench/cpu';

const BENCH = process.pid;
const [BUSY, IDLE, GRANDCHILD] = [900_001, 900_002, 900_003];

/** A sampler answering `at.start` before the phase and `at.end` after it, `seconds` apart. */
function sampler(seconds: number, at: { start: ProcessSample[]; end: ProcessSample[] }): CpuSampler {
  const tables = [at.start, at.end];
  const clock = [1_000, 1_000 + seconds];
  return { processes: () => tables.shift()!, seconds: () => clock.shift()! };
}

/** The bench, a busy child (with a child of its own) and an idle one; `end` one phase later. */
const table = (phase: 'start' | 'end'): ProcessSample[] => {
  const t = phase === 'start' ? 0 : 1;
  return [
    { pid: 1, ppid: 0, ticks: 5 },
    { pid: BENCH, ppid: 1, ticks: 1_000 + t * 10 },
    { pid: BUSY, ppid: BENCH, ticks: 40 + t * 300 },
    { pid: GRANDCHILD, ppid: BUSY, ticks: 7 + t * 20 },
    { pid: IDLE, ppid: BENCH, ticks: 3 },
  ];
};

afterEach(() => {
  unwatchCpu('busy');
  unwatchCpu('idle');
});

test('watched children: each its own cores, the busiest first, none of it the bench’s', async () => {
  watchCpu('busy', BUSY);
  watchCpu('idle', IDLE);
  const fake = sampler(2, { start: table('start'), end: table('end') });
  const { value, cores } = await withCpu(async () => 'done', fake);
  expect(value).toBe('done');
  // (300 + 20 ticks, the grandchild's with its parent's) ÷ 100 ticks/s ÷ 2 s; 10 ÷ 100 ÷ 2.
  expect(cores).toEqual({ busy: 1.6, 'bench (load)': 0.05, idle: 0 });
  expect(Object.keys(cores)).toEqual(['busy', 'bench (load)', 'idle']);
  expect(coresText(cores)).toBe('busy 1.60, bench (load) 0.05');
});

test('an unwatched child counts in its parent’s figure', async () => {
  const { cores } = await withCpu(
    async () => undefined,
    sampler(2, { start: table('start'), end: table('end') }),
  );
  expect(cores).toEqual({ 'bench (load)': (10 + 300 + 20) / 100 / 2 });
});

test('a process not there at both ends has no figure; the phase’s own time is what divides', async () => {
  watchCpu('busy', BUSY);
  watchCpu('idle', IDLE);
  const end = table('end').filter((p) => p.pid !== IDLE);
  const { cores } = await withCpu(async () => undefined, sampler(4, { start: table('start'), end }));
  expect(cores).toEqual({ busy: 0.8, 'bench (load)': 0.03 });
});

test('a /proc/<pid>/stat line: the command may hold spaces and parentheses', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
  const line = '4242 (node (x) y) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 11 0 1234';
  expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, ticks: 250 + 50 + 7 + 3 });
  expect(() => parseStat('garbage')).toThrow(/not a \/proc/);
});

test('the machine’s sampler finds this process and its parent', () => {
  const me = procSampler.processes().find((p) => p.pid === process.pid);
  expect(me).toMatchObject({ pid: process.pid, ppid: process.ppid });
  expect(Number.isInteger(me!.ticks)).toBe(true);
  expect(procSampler.seconds()).toBeGreaterThan(0);
});
