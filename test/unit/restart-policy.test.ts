// npm start's supervisor restarts a process that died on its own with backoff and gives up on one
// that keeps dying (5 deaths within a minute); the others keep running. The clock is a fake: the
// policy is a function of the deaths' times, the timers are Jest's.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { createSupervisorMetrics } from '../../lib/infra/metrics/supervisor';
import { Registry } from 'prom-client';
import { RestartPolicy, Restarter } from '../../scripts/stack/restart-policy';
import { ServiceWatcher } from '../../scripts/stack/service-watch';
import { Supervisor } from '../../scripts/stack/supervisor';

describe('RestartPolicy', () => {
  test('backs off 1, 2, 4, 8 s and gives up at the fifth death within a minute', () => {
    const policy = new RestartPolicy();
    const at = [0, 2_000, 5_000, 10_000, 19_000];
    expect(at.map((t) => policy.onDeath(t))).toEqual([
      { action: 'restart', delayMs: 1_000, recentDeaths: 1 },
      { action: 'restart', delayMs: 2_000, recentDeaths: 2 },
      { action: 'restart', delayMs: 4_000, recentDeaths: 3 },
      { action: 'restart', delayMs: 8_000, recentDeaths: 4 },
      { action: 'give-up', recentDeaths: 5 },
    ]);
  });

  test('deaths older than the window are forgotten: a process that dies now and then is always restarted', () => {
    const policy = new RestartPolicy();
    for (let i = 0; i < 20; i++) {
      expect(policy.onDeath(i * 61_000)).toEqual({ action: 'restart', delayMs: 1_000, recentDeaths: 1 });
    }
  });

  test('the window slides: four deaths, a quiet minute after the first, and the fifth is one too few', () => {
    const policy = new RestartPolicy();
    for (const t of [0, 1_000, 2_000, 3_000]) policy.onDeath(t);
    // At 60 s the death at 0 has left the window: 4 recent deaths (1 s, 2 s, 3 s, 60 s).
    expect(policy.onDeath(60_000)).toEqual({ action: 'restart', delayMs: 8_000, recentDeaths: 4 });
    expect(policy.onDeath(60_500)).toEqual({ action: 'give-up', recentDeaths: 5 });
  });

  test('the delay is capped', () => {
    const policy = new RestartPolicy({
      initialDelayMs: 1_000,
      maxDelayMs: 3_000,
      maxDeaths: 10,
      windowMs: 60_000,
    });
    expect(
      [0, 1, 2, 3].map((t) => policy.onDeath(t)).map((d) => d.action === 'restart' && d.delayMs),
    ).toEqual([1_000, 2_000, 3_000, 3_000]);
  });
});

describe('Restarter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  const restarter = (restart: () => Promise<void> | void) => {
    const lines: string[] = [];
    const events: string[] = [];
    const r = new Restarter('kafka-2', {
      restart,
      loud: (l) => lines.push(l),
      onRestarted: () => events.push('restarted'),
      onGaveUp: () => events.push('gave up'),
      now: () => Date.now(),
    });
    return { r, lines, events };
  };

  test('restarts after the delay, says so loudly, and gives up at the fifth quick death', async () => {
    const restart = jest.fn();
    const { r, lines, events } = restarter(restart);
    for (const [i, delay] of [1_000, 2_000, 4_000, 8_000].entries()) {
      r.died('exited with SIGKILL');
      expect(r.busy).toBe(true);
      await jest.advanceTimersByTimeAsync(delay - 1);
      expect(restart).toHaveBeenCalledTimes(i);
      await jest.advanceTimersByTimeAsync(1);
      expect(restart).toHaveBeenCalledTimes(i + 1);
      expect(r.busy).toBe(false);
    }
    r.died('exited with SIGKILL');
    await jest.advanceTimersByTimeAsync(120_000);
    expect(restart).toHaveBeenCalledTimes(4);
    expect(r.gaveUp).toBe(true);
    expect(events).toEqual(['restarted', 'restarted', 'restarted', 'restarted', 'gave up']);
    expect(lines[0]).toBe(
      '!!! kafka-2: exited with SIGKILL, unexpectedly; restarting in 1 s (1 death within 60 s)',
    );
    expect(lines.at(-2)).toBe(
      '!!! kafka-2: exited with SIGKILL, unexpectedly; 5 deaths within 60 s: giving up on it',
    );
    expect(lines.at(-1)).toMatch(/^!!! kafka-2 given up on: .*The other processes keep serving/);
    // Once given up on, a death is no news.
    r.died('exited with SIGKILL');
    expect(lines.at(-1)).toMatch(/given up on/);
  });

  test('a restart that fails counts as another death and is tried again', async () => {
    let fails = 1;
    const restart = jest.fn(async () => {
      if (fails-- > 0) throw new Error('kafka-2 did not become healthy within 90 s; see its log');
    });
    const { r, lines, events } = restarter(restart);
    r.died('is no longer running (pid 42)');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lines.at(-1)).toBe(
      '!!! kafka-2: restart failed (kafka-2 did not become healthy within 90 s; see its log), unexpectedly; restarting in 2 s (2 deaths within 60 s)',
    );
    await jest.advanceTimersByTimeAsync(2_000);
    expect(restart).toHaveBeenCalledTimes(2);
    expect(events).toEqual(['restarted']);
    expect(lines.at(-1)).toBe('kafka-2 restarted');
  });

  test('stop cancels a scheduled restart (Ctrl-C during the backoff)', async () => {
    const restart = jest.fn();
    const { r } = restarter(restart);
    r.died('exited with code 1');
    r.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(restart).not.toHaveBeenCalled();
  });
});

/** A child process that exits when told to. */
class FakeChild extends EventEmitter {
  static next = 1000;
  pid = FakeChild.next++;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  die(signal: NodeJS.Signals = 'SIGKILL') {
    this.signalCode = signal;
    this.emit('exit', null, signal);
  }
  kill(signal: NodeJS.Signals = 'SIGTERM') {
    this.die(signal);
    return true;
  }
}

describe('Supervisor', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('a killed API is started again and counted; its twin and the worker keep running', async () => {
    const spawned: { kind: string; child: FakeChild }[] = [];
    const metrics = createSupervisorMetrics(new Registry());
    const lines: string[] = [];
    const sup = new Supervisor({
      metrics,
      loud: (l) => lines.push(l),
      spawn: (kind) => {
        const child = new FakeChild();
        spawned.push({ kind, child });
        return child as unknown as ChildProcess;
      },
    });
    sup.start('api', 1);
    sup.start('api', 2);
    sup.start('worker', 1);
    const [, api2, worker] = spawned;
    api2.child.die();
    await jest.advanceTimersByTimeAsync(500 + 1_000);
    expect(spawned.map((s) => s.kind)).toEqual(['api', 'api', 'worker', 'api']);
    expect(lines).toEqual([
      '!!! api-2: api/server.ts exited with SIGKILL, unexpectedly; restarting in 1 s (1 death within 60 s)',
      'api-2 restarted',
    ]);
    expect(sup.pids()['api-2']).toBe(spawned[3].child.pid);
    expect(worker.child.signalCode).toBeNull();
    const text = await metrics.registry.metrics();
    expect(text).toContain('bourse_supervisor_restarts_total{process="api-2"} 1');
    expect(text).toContain('bourse_supervisor_restarts_total{process="worker"} 0');
    expect(text).toContain('bourse_supervisor_process_up{process="api-2"} 1');

    // A stop is no death: nothing is restarted.
    await sup.stopAll(1_000);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(spawned).toHaveLength(4);
    expect(lines).toHaveLength(2);
  });
});

describe('ServiceWatcher', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('a broker found gone is started again once, and counted when back', async () => {
    let pid: number | undefined = 7;
    let resolveRestart: () => void = () => undefined;
    const restart = jest.fn(
      () =>
        new Promise<void>((resolve) => {
          resolveRestart = () => {
            pid = 8;
            resolve();
          };
        }),
    );
    const metrics = createSupervisorMetrics(new Registry());
    const lines: string[] = [];
    const watcher = new ServiceWatcher([{ name: 'kafka-3', pid: () => pid, restart }], {
      metrics,
      loud: (l) => lines.push(l),
    });
    watcher.start();
    pid = undefined;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lines).toEqual([
      '!!! kafka-3: is no longer running (pid 7), unexpectedly; restarting in 1 s (1 death within 60 s)',
    ]);
    // The restart takes a while (the broker catches up): the watcher does not report it again meanwhile.
    await jest.advanceTimersByTimeAsync(10_000);
    expect(restart).toHaveBeenCalledTimes(1);
    expect(lines).toHaveLength(1);
    resolveRestart();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lines.at(-1)).toBe('kafka-3 restarted');
    expect(await metrics.registry.metrics()).toContain(
      'bourse_supervisor_restarts_total{process="kafka-3"} 1',
    );
    expect(await metrics.registry.metrics()).toContain('bourse_supervisor_process_up{process="kafka-3"} 1');
    watcher.stop();
  });
});
