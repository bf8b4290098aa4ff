// The arithmetic of the opening scenario and of issue 24's ratios (scripts/bench/opening.ts,
// order-goals.ts, cpu.ts): given figures in, the counts, ratios and verdicts out. Nothing is started.
import type { Stats } from '../../scripts/bench/bench-lib';
import { stackCpuMsPer } from '../../scripts/bench/cpu';
import { arrivalViolations, decidedAt, openingCredit, type Acked } from '../../scripts/bench/opening';
import {
  cpuRatio,
  drainVsCapacity,
  goalVerdict,
  openingCapacity,
  orderGoals,
} from '../../scripts/bench/order-goals';

const order = (user: string, ackedAt: number, finalPhase?: Acked['finalPhase']): Acked => ({
  user,
  orderId: `${user}-${ackedAt}`,
  ackedAt,
  ...(finalPhase ? { finalPhase } : {}),
});

describe('arrivalViolations', () => {
  test('passes before denials, per user, is in order whatever the list order', () => {
    expect(
      arrivalViolations([
        order('a', 3, 'denied'),
        order('b', 1, 'succeeded'),
        order('a', 1, 'succeeded'),
        order('a', 2, 'inProgress'),
        order('b', 2, 'denied'),
      ]),
    ).toBe(0);
  });

  test('each passed order acknowledged after a denied one of the same user is one violation', () => {
    expect(
      arrivalViolations([
        order('a', 1, 'succeeded'),
        order('a', 2, 'denied'),
        order('a', 3, 'succeeded'),
        order('a', 4, 'failed'),
        order('b', 1, 'denied'),
        order('b', 2, 'succeeded'),
      ]),
    ).toBe(3);
  });

  test("another user's denial does not make a pass late; orders never final are not judged", () => {
    expect(
      arrivalViolations([
        order('a', 1, 'denied'),
        order('b', 2, 'succeeded'),
        order('b', 3),
        order('b', 4, 'succeeded'),
      ]),
    ).toBe(0);
  });
});

test("an order's check time: a 201's answer, a 202's final view", () => {
  expect(decidedAt(201, 1000, { updatedAt: '2026-12-06T01:00:00.000Z' })).toBe(1000);
  expect(decidedAt(202, 1000, { updatedAt: '2026-12-06T01:00:00.000Z' })).toBe(
    Date.parse('2026-12-06T01:00:00.000Z'),
  );
  expect(decidedAt(202, 1000, {})).toBeUndefined();
});

test('credit for all but the last order of a user', () => {
  expect(openingCredit(10)).toBe(9 * 2850 + 1425);
  expect(Math.floor(openingCredit(10) / 2850)).toBe(9);
  expect(Math.floor(openingCredit(1) / 2850)).toBe(0);
});

test('drain against orders ÷ capacity', () => {
  expect(drainVsCapacity(2000, 200, 20)).toEqual({ idealSeconds: 100, ratio: 2 });
  expect(drainVsCapacity(400, 25, 16)).toEqual({ idealSeconds: 25, ratio: 1 });
});

test('the capacity is the best accept rate, else the own-shape ceiling', () => {
  const accept = [
    { rate: 25, temporal: { achievedPerSecond: 20, cpuCores: {} } },
    { rate: 50, temporal: { achievedPerSecond: 14, cpuCores: {} } },
  ];
  expect(openingCapacity({ accept, ceilingShape: { startsPerSecond: 40 } })).toEqual({
    perSecond: 20,
    from: 'accept @ 25/s',
  });
  expect(openingCapacity({ ceilingShape: { startsPerSecond: 40 } })?.perSecond).toBe(40);
  expect(openingCapacity({})).toBeUndefined();
});

test('stack CPU per unit leaves the load generator out', () => {
  expect(stackCpuMsPer({ temporal: 1, 'worker-0s': 0.5, 'bench (load)': 0.4 }, 15)).toBe(100);
  expect(stackCpuMsPer({ temporal: 1 }, 0)).toBeUndefined();
});

const s = (p50: number, p99: number): Stats => ({ n: 100, p50, p99, p999: p99, max: p99 });

describe("issue 24's goals", () => {
  const figures = {
    ceiling: { startsPerSecond: 50, cpuCores: { temporal: 1, 'ceiling-worker': 0.5, 'bench (load)': 0.3 } },
    ceilingShape: {
      startsPerSecond: 21,
      cpuCores: { temporal: 1.05, 'ceiling-worker': 0.42, 'bench (load)': 0.2 },
    },
    accept: [{ rate: 50, temporal: { achievedPerSecond: 17, cpuCores: { temporal: 1.2, api: 0.5 } } }],
    opening: {
      offered: 2000,
      acked: 2000,
      answered201: 300,
      answered202: 1700,
      refusedForLoad: 0,
      ackLatencyMs: s(40, 500),
      decided: 2000,
      lost: 0,
      arrivalViolations: 0,
      drainSeconds: 120,
    },
  };
  const verdicts = (r: Parameters<typeof orderGoals>[0]) =>
    Object.fromEntries(
      orderGoals(r)
        .slice(6, 12)
        .map((g) => [g.goal, goalVerdict(g)]),
    );

  test('each against its threshold', () => {
    // Load generator excluded: 1.7 cores ÷ 17 orders/s, 1.5 ÷ 50 starts/s, the own shape's 1.47 ÷ 21.
    expect(cpuRatio(figures)).toEqual({
      orderMs: 100,
      startMs: 30,
      ratio: 3.33,
      shapeMs: 70,
      shapeRatio: 2.33,
    });
    expect(cpuRatio({ ...figures, ceilingShape: { startsPerSecond: 21 } })).toEqual({
      orderMs: 100,
      startMs: 30,
      ratio: 3.33,
    });
    expect(verdicts(figures)).toEqual({
      'opening: refused for load (503 overloaded) = 0': 'met',
      'opening: acknowledged orders never final (lost) = 0': 'met',
      'opening: acknowledgment (201 or 202) p99 ≤ 500 ms': 'met',
      "opening: a user's orders decided out of acknowledgment order = 0": 'met',
      'accepted orders/s ≥ 0.85 × own-shape ceiling': 'NOT MET',
      'stack CPU per accepted order ≤ 2.5 × per ceiling start': 'NOT MET',
    });
  });

  test('one refusal, one lost order, a slow p99, one violation: each not met', () => {
    const bad = {
      ...figures,
      ceilingShape: { startsPerSecond: 20 / 0.85 },
      ceiling: { startsPerSecond: 40, cpuCores: { temporal: 1 } },
      accept: [{ rate: 50, temporal: { achievedPerSecond: 20, cpuCores: { temporal: 1.25 } } }],
      opening: {
        ...figures.opening,
        refusedForLoad: 1,
        lost: 1,
        decided: 1999,
        ackLatencyMs: s(40, 500.1),
        arrivalViolations: 1,
      },
    };
    expect(Object.values(verdicts(bad))).toEqual(['NOT MET', 'NOT MET', 'NOT MET', 'NOT MET', 'met', 'met']);
    expect(orderGoals(bad)[7].measured).toBe('1 of 2000 acknowledged (1999 decided)');
  });

  test('without the scenarios, neither met nor not met', () => {
    expect(Object.values(verdicts({})).every((v) => v === '—')).toBe(true);
  });
});
