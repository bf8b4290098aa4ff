// When `npm start`'s supervisor starts a dead process again, and when it gives up on one: a pure
// function of the process's recent deaths and the clock, so its tests need no real time.

export interface RestartPolicyOptions {
  /** The wait before the first restart after a quiet spell; it doubles with every recent death. */
  initialDelayMs: number;
  /** The longest wait between a death and its restart. */
  maxDelayMs: number;
  /** A process that dies this many times within `windowMs` is given up on. */
  maxDeaths: number;
  windowMs: number;
}

/** 1 s, 2 s, 4 s, 8 s, then given up: a process that dies 5 times within a minute keeps dying. */
export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxDeaths: 5,
  windowMs: 60_000,
};

export type RestartDecision =
  { action: 'restart'; delayMs: number; recentDeaths: number } | { action: 'give-up'; recentDeaths: number };

/** One process's deaths and what to do after each. */
export class RestartPolicy {
  private deaths: number[] = [];

  constructor(private readonly opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records a death at `now` (ms) and decides: restart after a delay, or give up. */
  onDeath(now: number): RestartDecision {
    this.deaths = [...this.deaths.filter((t) => now - t < this.opts.windowMs), now];
    const recentDeaths = this.deaths.length;
    if (recentDeaths >= this.opts.maxDeaths) return { action: 'give-up', recentDeaths };
    const delayMs = Math.min(this.opts.maxDelayMs, this.opts.initialDelayMs * 2 ** (recentDeaths - 1));
    return { action: 'restart', delayMs, recentDeaths };
  }
}

/** "restarting in 2 s (2 deaths within 60 s)" or "5 deaths within 60 s: giving up on it". */
export function describeDecision(d: RestartDecision, opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {
  const deaths = `${d.recentDeaths} death${d.recentDeaths === 1 ? '' : 's'} within ${opts.windowMs / 1000} s`;
  return d.action === 'restart'
    ? `restarting in ${d.delayMs / 1000} s (${deaths})`
    : `${deaths}: giving up on it`;
}

export interface RestarterOptions {
  /** Starts the process again; resolves once it runs (a service: once healthy), rejects if it did not. */
  restart: () => Promise<void> | void;
  /** A line an operator must see (the death, the restart, the giving up). */
  loud: (line: string) => void;
  /** Told after each restart that worked, and once on giving up. */
  onRestarted?: () => void;
  onGaveUp?: () => void;
  policy?: RestartPolicyOptions;
  now?: () => number;
}

/**
 * One supervised process's deaths: each is said loudly and followed by a restart after the policy's
 * delay, or by giving up. A restart that fails counts as another death.
 */
export class Restarter {
  private readonly policy: RestartPolicy;
  private timer: NodeJS.Timeout | undefined;
  /** A restart is scheduled or under way: a watcher must not report the same death twice. */
  busy = false;
  gaveUp = false;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly o: RestarterOptions,
  ) {
    this.policy = new RestartPolicy(o.policy);
  }

  /** The process died (`how`: "exited with SIGKILL"); nothing happens once stopped or given up. */
  died(how: string): void {
    if (this.stopped || this.gaveUp) return;
    const opts = this.o.policy ?? DEFAULT_RESTART_POLICY;
    const decision = this.policy.onDeath((this.o.now ?? Date.now)());
    this.o.loud(`!!! ${this.name}: ${how}, unexpectedly; ${describeDecision(decision, opts)}`);
    if (decision.action === 'give-up') {
      this.gaveUp = true;
      this.busy = false;
      this.o.loud(
        `!!! ${this.name} given up on: it keeps dying (see its log). The other processes keep serving; ` +
          'Ctrl-C stops everything, npm start starts it again.',
      );
      this.o.onGaveUp?.();
      return;
    }
    this.busy = true;
    this.timer = setTimeout(() => void this.restartNow(), decision.delayMs);
  }

  private async restartNow(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    try {
      await this.o.restart();
    } catch (err) {
      if (this.stopped) return;
      this.died(`restart failed (${(err as Error).message.split('\n')[0]})`);
      return;
    }
    if (this.stopped) return;
    this.busy = false;
    this.o.onRestarted?.();
    this.o.loud(`${this.name} restarted`);
  }

  /** No more restarts (the supervisor is stopping everything). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
