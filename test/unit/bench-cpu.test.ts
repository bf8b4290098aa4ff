// The bench's CPU by process (scripts/bench/cpu.ts): a busy process counts as busy, an idle one as
// idle, and a watched child's CPU is its own, not its parent's (the bench starts the app processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { unwatchCpu, watchCpu, withCpu } from '../../scripts/bench/cpu';

const spin = (ms: number) => `const end = Date.now() + ${ms}; while (Date.now() < end);`;

function node(code: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('spawn', () => resolve(child)));
}
const exited = (c: ChildProcess) => new Promise((resolve) => c.once('exit', resolve));

test('a spinning child is about one core, an idle one none, and neither is the bench’s', async () => {
  const busy = await node(`${spin(1_500)}`);
  const idle = await node('setTimeout(() => undefined, 1_500)');
  watchCpu('busy', busy.pid);
  watchCpu('idle', idle.pid);
  try {
    const { value, cores } = await withCpu(async () => {
      await new Promise((r) => setTimeout(r, 1_000));
      return 'done';
    });
    expect(value).toBe('done');
    // One core at most; on a loaded 2-core machine it gets less than a whole one.
    expect(cores.busy).toBeGreaterThan(0.2);
    expect(cores.busy).toBeLessThanOrEqual(1.05);
    expect(cores.idle).toBeLessThan(0.1);
    // The test process waited on a timer meanwhile: the busy child's CPU is not counted in it.
    expect(cores['bench (load)']).toBeLessThan(0.2);
  } finally {
    unwatchCpu('busy');
    unwatchCpu('idle');
    busy.kill();
    idle.kill();
    await Promise.all([exited(busy), exited(idle)]);
  }
});

test('an unwatched child counts in its parent’s figure', async () => {
  const busy = await node(`${spin(1_500)}`);
  try {
    const { cores } = await withCpu(() => new Promise((r) => setTimeout(r, 1_000)));
    expect(cores['bench (load)']).toBeGreaterThan(0.2);
  } finally {
    busy.kill();
    await exited(busy);
  }
});
