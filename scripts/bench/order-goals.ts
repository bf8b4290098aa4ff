// The order path's goals (issues 14 and 24), judged on one run's figures: each beside the figure it
// rests on, met or not met. Printed by `npm run bench`; not a pass/fail test (a noisy machine moves them).
import type { Stats } from './bench-lib';
import { stackCpuMsPer } from './cpu';
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
  ceiling?: { startsPerSecond: number; cpuCores: Record<string, number> };
  ceilingShape?: { startsPerSecond: number; cpuCores?: Record<string, number> };
  accept?: { rate: number; temporal: { achievedPerSecond: number; cpuCores: Record<string, number> } }[];
  opening?: {
    offered: number;
    acked: number;
    answered201: number;
    answered202: number;
    refusedForLoad: number;
    ackLatencyMs: Stats;
    decided: number;
    lost: number;
    arrivalViolations: number;
    drainSeconds: number;
  };
  limits?: { crossed: number; orders: number; wakeSeconds: number; cpuSeconds: number };
}

const missing = (what: string): Pick<Goal, 'measured'> => ({ measured: `not measured (needs ${what})` });

export const ACCEPT_SHARE_GOAL = 0.8;
export const COMPLETE_SHARE_GOAL = 0.6;
export const HALF_RATE_P99_FACTOR = 2;
export const CLOSE_TO_ANSWER_P99_MS = 20;
export const OPENING_ACK_P99_MS = 500;
export const SHAPE_SHARE_GOAL = 0.85;
export const CPU_RATIO_GOAL = 2.5;

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The accept scenario's rate that accepted the most orders/s (the saturated one), if it ran. */
export function bestAccept(accept: Figures['accept']) {
  return (accept ?? []).reduce<NonNullable<Figures['accept']>[number] | undefined>(
    (b, a) => (!b || a.temporal.achievedPerSecond > b.temporal.achievedPerSecond ? a : b),
    undefined,
  );
}

/**
 * Orders/s bourse decides, against which the opening's drain is judged: the accept scenario's best
 * accepted/s in the same run, or else the own-shape ceiling (what Temporal could carry of buyOrder's
 * shape: an upper bound on bourse's).
 */
export function openingCapacity(r: Figures): { perSecond: number; from: string } | undefined {
  const best = bestAccept(r.accept);
  if (best) return { perSecond: best.temporal.achievedPerSecond, from: `accept @ ${best.rate}/s` };
  if (r.ceilingShape) return { perSecond: r.ceilingShape.startsPerSecond, from: 'the own-shape ceiling' };
  return undefined;
}

/** The drain against the time the offered orders take at capacity: orders ÷ capacity, and the ratio. */
export function drainVsCapacity(orders: number, drainSeconds: number, capacityPerSecond: number) {
  const idealSeconds = Math.round((orders / capacityPerSecond) * 10) / 10;
  return { idealSeconds, ratio: round2(drainSeconds / (orders / capacityPerSecond)) };
}

/**
 * Whole-stack CPU per accepted order (the accept scenario's saturated rate) ÷ CPU per bare ceiling
 * start, both without the load generator, from the same run. With the own-shape ceiling, also its
 * CPU per start ÷ the bare one's: what buyOrder's Temporal shape costs with activities doing nothing,
 * the floor under bourse's own ratio.
 */
export function cpuRatio(
  r: Figures,
): { orderMs: number; startMs: number; ratio: number; shapeMs?: number; shapeRatio?: number } | undefined {
  const best = bestAccept(r.accept);
  if (!best || !r.ceiling) return undefined;
  const orderMs = stackCpuMsPer(best.temporal.cpuCores, best.temporal.achievedPerSecond);
  const startMs = stackCpuMsPer(r.ceiling.cpuCores, r.ceiling.startsPerSecond);
  if (orderMs === undefined || !startMs) return undefined;
  const shape = r.ceilingShape?.cpuCores;
  const shapeMs = shape && stackCpuMsPer(shape, r.ceilingShape!.startsPerSecond);
  return {
    orderMs,
    startMs,
    ratio: round2(orderMs / startMs),
    ...(shapeMs !== undefined ? { shapeMs, shapeRatio: round2(shapeMs / startMs) } : {}),
  };
}

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
  goals.push(...openingGoals(r));
  const saturated = bestAccept(r.accept);
  goals.push({
    goal: `accepted orders/s ≥ ${SHAPE_SHARE_GOAL} × own-shape ceiling`,
    ...(saturated && r.ceilingShape
      ? (() => {
          const share = round2(saturated.temporal.achievedPerSecond / r.ceilingShape.startsPerSecond);
          return {
            measured: `×${share} (${saturated.temporal.achievedPerSecond}/s @ ${saturated.rate}/s offered ÷ ${r.ceilingShape.startsPerSecond} starts/s)`,
            met: share >= SHAPE_SHARE_GOAL,
          };
        })()
      : missing('--only ceiling-shape,accept')),
  });
  const cpu = cpuRatio(r);
  goals.push({
    goal: `stack CPU per accepted order ≤ ${CPU_RATIO_GOAL} × per ceiling start`,
    ...(cpu
      ? {
          measured:
            `×${cpu.ratio} (${cpu.orderMs} ms per order @ ${saturated!.rate}/s offered, ${cpu.startMs} ms per start)` +
            (cpu.shapeRatio !== undefined
              ? `; own shape alone ×${cpu.shapeRatio} (${cpu.shapeMs} ms per start)`
              : ''),
          met: cpu.ratio <= CPU_RATIO_GOAL,
        }
      : missing('--only ceiling,accept')),
  });
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

/** The opening scenario's goals: nothing refused for load, nothing lost, quick answers, arrival order. */
function openingGoals(r: Figures): Goal[] {
  const o = r.opening;
  const needs = missing('--only opening');
  return [
    {
      goal: 'opening: refused for load (503 overloaded) = 0',
      ...(o
        ? { measured: `${o.refusedForLoad} of ${o.offered} offered`, met: o.refusedForLoad === 0 }
        : needs),
    },
    {
      goal: 'opening: acknowledged orders never final (lost) = 0',
      ...(o
        ? { measured: `${o.lost} of ${o.acked} acknowledged (${o.decided} decided)`, met: o.lost === 0 }
        : needs),
    },
    {
      goal: `opening: acknowledgment (201 or 202) p99 ≤ ${OPENING_ACK_P99_MS} ms`,
      ...(o && o.ackLatencyMs.n > 0
        ? {
            measured: `p50 ${o.ackLatencyMs.p50} / p99 ${o.ackLatencyMs.p99} ms (${o.answered201} × 201, ${o.answered202} × 202)`,
            met: o.ackLatencyMs.p99 <= OPENING_ACK_P99_MS,
          }
        : needs),
    },
    {
      goal: "opening: a user's orders decided out of acknowledgment order = 0",
      ...(o
        ? { measured: `${o.arrivalViolations} of ${o.decided} decided`, met: o.arrivalViolations === 0 }
        : needs),
    },
  ];
}

export const goalVerdict = (g: Goal) => (g.met === undefined ? '—' : g.met ? 'met' : 'NOT MET');
