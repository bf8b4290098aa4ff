// The admission queue: a burst waits its turn, at most `limit` start at once, and only what cannot
// start before its deadline is refused — before its start is ever called.
import { Admission } from '../../lib/orders/admission';
import { OrderError } from '../../lib/orders/errors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst is served in turn, never more than the limit at once', async () => {
  const admission = new Admission(2, 100);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const deadline = Date.now() + 5_000;
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      admission.run(deadline, async () => {
        started.push(i);
        peak = Math.max(peak, ++running);
        await sleep(30);
        running--;
        return i;
      }),
    ),
  );
  expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // in arrival order
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
  const t0 = Date.now();
  const refused = admission.run(deadline, async () => {
    calls.push('refused');
  });
  await expect(refused).rejects.toMatchObject({ kind: 'overloaded', code: 'overloaded' });
  expect(Date.now() - t0).toBeLessThan(50);
  await Promise.all([held, queued]);
  expect(calls).toEqual(['held', 'queued']);
});

test('a waiter whose deadline comes before a slot frees (with the time a start needs) is refused unstarted', async () => {
  const admission = new Admission(1, 10);
  const seen: OrderError[] = [];
  const held = admission.run(Date.now() + 10_000, () => sleep(1_500));
  const late = admission.run(Date.now() + 1_800, async () => {
    throw new Error('must not start: only 300 ms would be left after the slot frees');
  });
  await late.catch((err: OrderError) => seen.push(err));
  await held;
  expect(seen.map((e) => e.kind)).toEqual(['overloaded']);
  expect(admission.stats().refused).toBe(1);
});
