// Admission of orders to Temporal: at most `limit` start at once (this process); a burst waits its turn
// in a bounded queue instead of being refused, and only what cannot start before its deadline is
// refused, before anything was started.
import { OrderError } from './errors';

interface Waiter {
  deadline: number;
  admit: () => void;
  refuse: () => void;
  timer: NodeJS.Timeout;
}

/** The least time a start is given: below it, a start would likely run out and leave an order behind a 503. */
const MIN_START_MS = 1_000;

/** What an operator's metrics learn of admission (lib/infra/metrics' admission series). */
export interface AdmissionObserver {
  waiting(delta: 1 | -1): void;
  admitted(waitedSeconds: number): void;
  refused(): void;
}

export interface AdmissionStats {
  active: number;
  waiting: number;
  refused: number;
}

export class Admission {
  private active = 0;
  private refused = 0;
  private readonly queue: Waiter[] = [];
  /** Recent start latency (ms), an exponentially weighted mean: how much time a start needs. */
  private startMs = 250;

  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
    private readonly observer?: AdmissionObserver,
  ) {}

  stats(): AdmissionStats {
    return { active: this.active, waiting: this.queue.length, refused: this.refused };
  }

  /**
   * Runs `start(msLeft)` once a slot is free, if that happens early enough to leave the start the time
   * it usually needs before `deadline` (epoch ms); otherwise refuses with `overloaded`.
   */
  async run<T>(deadline: number, start: (msLeft: number) => Promise<T>): Promise<T> {
    await this.acquire(deadline);
    const began = Date.now();
    try {
      const result = await start(Math.max(deadline - began, this.reserve()));
      // Only starts that answered teach how long a start takes (a timeout says the server is down).
      this.startMs = 0.8 * this.startMs + 0.2 * (Date.now() - began);
      return result;
    } finally {
      this.release();
    }
  }

  /** The time a start needs: twice the recent mean, and never less than MIN_START_MS. */
  private reserve(): number {
    return Math.max(2 * this.startMs, MIN_START_MS);
  }

  private acquire(deadline: number): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      this.observer?.admitted(0);
      return Promise.resolve();
    }
    const waitMs = deadline - Date.now() - this.reserve();
    if (this.queue.length >= this.maxQueued || waitMs <= 0) return Promise.reject(this.overloaded());
    const queuedAt = Date.now();
    this.observer?.waiting(1);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        deadline,
        admit: () => {
          clearTimeout(waiter.timer);
          this.observer?.waiting(-1);
          this.observer?.admitted((Date.now() - queuedAt) / 1000);
          resolve();
        },
        refuse: () => {
          clearTimeout(waiter.timer);
          this.observer?.waiting(-1);
          reject(this.overloaded());
        },
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          waiter.refuse();
        }, waitMs),
      };
      this.queue.push(waiter);
    });
  }

  private release(): void {
    // The slot passes straight to the next waiter that still has the time a start needs (`active`
    // stays the same); one without it is refused now rather than started to time out.
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      if (next.deadline - Date.now() >= this.reserve()) {
        next.admit();
        return;
      }
      next.refuse();
    }
    this.active -= 1;
  }

  private overloaded(): OrderError {
    this.refused += 1;
    this.observer?.refused();
    return new OrderError(
      'overloaded',
      'overloaded',
      `${this.active} orders are starting and ${this.queue.length} waiting; this one could not start in time. Nothing was started: retry shortly`,
    );
  }
}
