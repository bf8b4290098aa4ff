// The admission queue: a burst waits its turn, at most `limit` start at once, and only what cannot
// start before its deadline is refused — before its start is ever called. On a fake clock: what is
// asserted is when the queue decides, not how fast the machine ran.
import { Admission } from '../../lib/orders/admission';
import { OrderError } from '../../lib/orders/errors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('a burst is served in turn, never more than the limit at once', async () => {
  const admission = new Admission(2, 100);
  let running = 0;
  let peak = 0;
  const started: [number, number][] = [];
  const deadline = Date.now() + 5_000;
  const all = Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      admission.run(deadline, async () => {
        started.push([i, Date.now() - 1_000_000]);
        peak = Math.max(peak, ++running);
        await sleep(30);
        running--;
        return i;
      }),
    ),
  );
  await jest.advanceTimersByTimeAsync(120);
  expect(await all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  // In arrival order, two at a time, each pair as the one before it ends.
  expect(started).toEqual([
    [0, 0],
    [1, 0],
    [2, 30],
    [3, 30],
    [4, 60],
    [5, 60],
    [6, 90],
    [7, 90],
  ]);
  expect(peak).toBe(2);
  expect(admission.stats()).toEqual({ active: 0, waiting: 0, refused: 0 });
});

test('a full queue refuses at once, and the refused order is never started', async () => {
  const admission = new Admission(1, 1);
  const deadline = Date.now() + 5_000;
  const calls: string[] = [];
  const held = admission.run(deadline, async () => {
    calls.push('held');
    await sleep(100);
  });
  const queued = admission.run(deadline, async () => {
    calls.push('queued');
  });
  let refusal: unknown;
  admission
    .run(deadline, async () => {
      calls.push('refused');
    })
    .catch((err: unknown) => (refusal = err));
  // No time passes: the refusal is decided on arrival, not after a wait.
  await jest.advanceTimersByTimeAsync(0);
  expect(refusal).toMatchObject({ kind: 'overloaded', code: 'overloaded' });
  expect(calls).toEqual(['held']);
  await jest.advanceTimersByTimeAsync(100);
  await Promise.all([held, queued]);
  expect(calls).toEqual(['held', 'queued']);
});

test('a waiter whose deadline comes before a slot frees (with the time a start needs) is refused unstarted', async () => {
  const admission = new Admission(1, 10);
  const refusals: [OrderError, number][] = [];
  const held = admission.run(Date.now() + 10_000, () => sleep(1_500));
  const late = admission.run(Date.now() + 1_800, async () => {
    throw new Error('must not start: only 300 ms would be left after the slot frees');
  });
  late.catch((err: OrderError) => refusals.push([err, Date.now() - 1_000_000]));
  await jest.advanceTimersByTimeAsync(1_500);
  await held;
  // Refused once the 1 s a start needs no longer fits before its deadline: at 1,800 − 1,000 ms.
  expect(refusals.map(([e, at]) => [e.kind, at])).toEqual([['overloaded', 800]]);
  expect(admission.stats()).toEqual({ active: 0, waiting: 0, refused: 1 });
});
