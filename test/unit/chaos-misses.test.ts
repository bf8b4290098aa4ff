// The chaos report files each unanswered order request under what was down when it was made.
import { attributeMisses } from '../../scripts/chaos/report';

test('unanswered requests are counted by the kinds down, their answer and their ten-second window', () => {
  const t0 = 1_000_000;
  const kinds = new Map([
    ['redis-17400', 'redis' as const],
    ['redis-17401', 'redis' as const],
    ['worker-2', 'worker' as const],
  ]);
  const r = attributeMisses(
    [
      { at: t0 + 1_000, answer: '503 unavailable: x', down: ['redis-17400'] },
      { at: t0 + 2_000, answer: '503 unavailable: x', down: ['redis-17401'] },
      { at: t0 + 12_000, answer: 'no answer', down: ['redis-17400', 'worker-2'] },
      { at: t0 + 13_000, answer: 'no answer', down: [] },
      { at: t0 + 14_000, answer: 'no answer', down: ['temporal'] },
    ],
    kinds,
    t0,
  );
  expect(r.byDown).toEqual({ redis: 2, 'redis+worker': 1, nothing: 1, temporal: 1 });
  expect(Object.keys(r.byDown)[0]).toBe('redis');
  expect(r.byKind).toEqual({ redis: 3, worker: 1, nothing: 1, temporal: 1 });
  expect(r.byAnswer).toEqual({ 'no answer': 3, '503 unavailable: x': 2 });
  expect(r.worstWindows).toEqual({ 't+10 s': 3, 't+0 s': 2 });
});
