// The chaos run's price invariant checks the minutes the schedule ran during the run, and a run in
// which none ran is a failure, not "0 checked, OK" (issue 10, item 17).
import type { Redis } from '../../lib/infra/redis';
import { checkPrices, minutesRan } from '../../scripts/chaos/price-invariant';

const at = (hhmmss: string) => Date.parse(`2026-12-01T${hhmmss}Z`);

test('the minutes that ran: every whole minute from the schedule start to the end of the load', () => {
  expect(minutesRan(at('10:00:20'), at('10:03:05'))).toEqual([
    at('10:01:00'),
    at('10:02:00'),
    at('10:03:00'),
  ]);
  expect(minutesRan(at('10:01:00'), at('10:01:00'))).toEqual([at('10:01:00')]);
  expect(minutesRan(at('10:00:20'), at('10:00:50'))).toEqual([]);
});

test('no minute ran (or no stock): a violation, whatever else holds', async () => {
  const unused = {} as Redis; // nothing to read: there is no stock to look at
  const inv = await checkPrices(unused, [], []);
  expect(inv.checked).toBe(0);
  expect(inv.violations).toEqual([
    'no minute of the price schedule ran during the run',
    'no stock configured (STOCKS)',
  ]);
});
