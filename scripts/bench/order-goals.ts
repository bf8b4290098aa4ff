// Issue 14's goals for the order path, judged on one run's figures: each beside the figure it rests
// on, met or not met. Printed by `npm run bench`; not a pass/fail test (a noisy machine moves them).
import type { Stats } from './bench-lib';
import { LIMIT_WAKE_GOAL_SECONDS } from './limit-orders';

export interface Goal {
  goal: string;
  /** The figure, as measured in this run. */
  measured: string;
  /** Undefined when the run lacks a scenario the goal needs (say which in `measured`). */
  met?: boolean;
}

interface Figures {
  ofCeiling?: {
    ceilingStartsPerSecond: number;
    acceptedByRate: Record<string, number>;
    completed?: number;
  };
  ceilingHalf?: { offeredPerSecond: number; latencyMs: Stats };
  acceptHalf?: { offeredPerSecond: number; latencyMs: Stats; achievedPerSecond: number };
  delivery?: { closeToAnswerMs: Stats };
  sse?: { closeToSseEventMs: Stats; closeToLongPollMs: Stats };
  limits?: { crossed: number; orders: number; wakeSeconds: number; cpuSeconds: number };
}

const missing = (what: string): Pick<Goal, 'measured'> => ({ measured: `not measured (needs ${what})` });

export const ACCEPT_SHARE_GOAL = 0.8;
export const COMPLETE_SHARE_GOAL = 0.6;
export const HALF_RATE_P99_FACTOR = 2;
export const CLOSE_TO_ANSWER_P99_MS = 20;

export function orderGoals(r: Figures): Goal[] {
  const goals: Goal[] = [];
  const shares = r.ofCeiling;
  const accepted = Object.entries(shares?.acceptedByRate ?? {});
  const best = accepted.reduce<[string, number] | undefined>(
    (b, a) => (!b || a[1] > b[1] ? a : b),
    undefined,
  );
  goals.push({
    goal: `accepted orders/s ≥ ${ACCEPT_SHARE_GOAL} × ceiling`,
    ...(best
      ? { measured: `×${best[1]} (best rate, @ ${best[0]}/s offered)`, met: best[1] >= ACCEPT_SHARE_GOAL }
      : missing('--only ceiling,accept')),
  });
  goals.push({
    goal: `completed orders/s ≥ ${COMPLETE_SHARE_GOAL} × ceiling`,
    ...(shares?.completed !== undefined
      ? { measured: `×${shares.completed}`, met: shares.completed >= COMPLETE_SHARE_GOAL }
      : missing('--only ceiling,complete')),
  });
  const [c, a] = [r.ceilingHalf, r.acceptHalf];
  goals.push({
    goal: `accept p99 at half the ceiling rate ≤ ${HALF_RATE_P99_FACTOR} × the ceiling's p99 there`,
    ...(c && a
      ? {
          measured:
            `@ ${a.offeredPerSecond}/s: accept p99 ${a.latencyMs.p99} ms, ceiling p99 ${c.latencyMs.p99} ms ` +
            `(×${Math.round((a.latencyMs.p99 / c.latencyMs.p99) * 100) / 100})`,
          met: a.latencyMs.p99 <= HALF_RATE_P99_FACTOR * c.latencyMs.p99,
        }
      : missing('--only ceiling,accept')),
  });
  const closeGoal = (channel: string, s: Stats | undefined, needs: string) =>
    goals.push({
      goal: `close → ${channel} p99 < ${CLOSE_TO_ANSWER_P99_MS} ms`,
      ...(s && s.n > 0
        ? { measured: `p99 ${s.p99} ms (n=${s.n})`, met: s.p99 < CLOSE_TO_ANSWER_P99_MS }
        : missing(needs)),
    });
  closeGoal('long-poll answer', r.delivery?.closeToAnswerMs, '--only delivery');
  closeGoal('long-poll answer beside SSE', r.sse?.closeToLongPollMs, '--only sse');
  closeGoal('SSE final event', r.sse?.closeToSseEventMs, '--only sse');
  const l = r.limits;
  goals.push({
    goal: `a tick crossing open limit orders: every crossed one In Progress < ${LIMIT_WAKE_GOAL_SECONDS} s`,
    ...(l
      ? {
          measured: `${l.wakeSeconds} s for ${l.crossed} of ${l.orders} open (${l.cpuSeconds} CPU s)`,
          met: l.wakeSeconds < LIMIT_WAKE_GOAL_SECONDS,
        }
      : missing('--only limits')),
  });
  return goals;
}

export const goalVerdict = (g: Goal) => (g.met === undefined ? '—' : g.met ? 'met' : 'NOT MET');
