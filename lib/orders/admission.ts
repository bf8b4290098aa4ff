// Admission of orders to Temporal: at most `limit` start at once (this process); a burst waits its turn
// in a bounded queue instead of being refused, and only what cannot start before its deadline is
// refused, before anything was started.
import { OrderError } from './errors';

interface Waiter {
  admit: () => void;
  timer: NodeJS.Timeout;
}

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
      return await start(Math.max(deadline - began, 2 * this.startMs));
    } finally {
      this.startMs = 0.8 * this.startMs + 0.2 * (Date.now() - began);
      this.release();
    }
  }

  private acquire(deadline: number): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      this.observer?.admitted(0);
      return Promise.resolve();
    }
    const waitMs = deadline - Date.now() - 2 * this.startMs;
    if (this.queue.length >= this.maxQueued || waitMs <= 0) return Promise.reject(this.overloaded());
    const queuedAt = Date.now();
    this.observer?.waiting(1);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          this.observer?.waiting(-1);
          this.observer?.admitted((Date.now() - queuedAt) / 1000);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          this.observer?.waiting(-1);
          reject(this.overloaded());
        }, waitMs),
      };
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiter: `active` stays the same.
    if (next) next.admit();
    else this.active -= 1;
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
