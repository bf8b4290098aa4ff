// The bench's goal lines (scripts/bench/order-goals.ts): each goal judged on the run's own figures,
// and said to be unmeasured, not met, when the run lacks the scenario it needs.
import { goalVerdict, orderGoals } from '../../scripts/bench/order-goals';

const s = (p99: number) => ({ n: 100, p50: p99 / 2, p99, p999: p99, max: p99 });

test('each goal against its threshold, from one run', () => {
  const goals = orderGoals({
    ofCeiling: { ceilingStartsPerSecond: 30, acceptedByRate: { 25: 0.5, 50: 0.81 }, completed: 0.59 },
    ceilingHalf: { offeredPerSecond: 15, latencyMs: s(100) },
    acceptHalf: { offeredPerSecond: 15, latencyMs: s(200), achievedPerSecond: 15 },
    delivery: { closeToAnswerMs: s(19.9) },
    sse: { closeToSseEventMs: s(20), closeToLongPollMs: s(5) },
    limits: { crossed: 2_500, orders: 5_000, wakeSeconds: 9.99, cpuSeconds: 12.5 },
  });
  const limitGoal = (gs: typeof goals) => gs.find((g) => g.goal.startsWith('a tick crossing'))!;
  expect([...goals.slice(0, 6), limitGoal(goals)].map((g) => [g.goal, goalVerdict(g)])).toEqual([
    ['accepted orders/s ≥ 0.8 × ceiling', 'met'],
    ['completed orders/s ≥ 0.6 × ceiling', 'NOT MET'],
    ["accept p99 at half the ceiling rate ≤ 2 × the ceiling's p99 there", 'met'],
    ['close → long-poll answer p99 < 20 ms', 'met'],
    ['close → long-poll answer beside SSE p99 < 20 ms', 'met'],
    ['close → SSE final event p99 < 20 ms', 'NOT MET'],
    ['a tick crossing open limit orders: every crossed one In Progress < 10 s', 'met'],
  ]);
  expect(goals[0].measured).toBe('×0.81 (best rate, @ 50/s offered)');
  expect(limitGoal(goals).measured).toBe('9.99 s for 2500 of 5000 open (12.5 CPU s)');
  const slow = orderGoals({ limits: { crossed: 1, orders: 2, wakeSeconds: 10, cpuSeconds: 1 } });
  expect(goalVerdict(limitGoal(slow))).toBe('NOT MET');
  expect(goals[2].measured).toBe('@ 15/s: accept p99 200 ms, ceiling p99 100 ms (×2)');
});

test('a goal whose scenario did not run is neither met nor not met', () => {
  const goals = orderGoals({});
  expect(goals.every((g) => g.met === undefined && goalVerdict(g) === '—')).toBe(true);
  expect(goals[0].measured).toBe('not measured (needs --only ceiling,accept)');
});
