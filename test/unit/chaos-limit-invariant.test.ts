// The chaos run's limit orders (scripts/chaos/limit-invariant.ts): books that agree pass; each
// corruption — an order lost, filled twice, filled at a price that did not cross or never was — is
// named; and an invariant that checked nothing fails.
import { requireChecked } from '../../scripts/chaos/invariants';
import type { OrderRecord } from '../../scripts/chaos/ledger-invariant';
import { limitInvariants } from '../../scripts/chaos/limit-invariant';

const S = '44891482026867833';
const TICKS = new Set([2_850, 2_820, 2_880]);

function record(
  orderId: string,
  side: 'buy' | 'sell',
  limitPrice: number,
  phase: 'open' | 'succeeded' | 'failed' | 'canceled',
  fill?: number,
): OrderRecord {
  const state = { open: 'reserved', succeeded: 'settled', failed: 'released', canceled: 'released' }[phase];
  const outcome = { phase, price: fill, amount: fill === undefined ? undefined : fill * 10 };
  return {
    orderId,
    user: 'u1',
    stockId: S,
    side,
    quantity: 10,
    result: outcome,
    view: { ...outcome },
    money: {
      state,
      amount: (fill ?? limitPrice) * 10,
      ...(fill === undefined ? {} : { filled: true, price: fill }),
    },
    limitPrice,
    listed: phase === 'open',
  };
}

/** A buy filled below its limit, a sell filled above its own, one that failed its verification after its fill, one canceled and one open. */
const books = (): OrderRecord[] => [
  record('b1', 'buy', 2_870, 'succeeded', 2_850),
  record('s1', 'sell', 2_860, 'succeeded', 2_880),
  record('b2', 'buy', 2_850, 'failed', 2_820),
  record('b3', 'buy', 2_700, 'canceled'),
  record('s2', 'sell', 3_000, 'open'),
  // A market order: not a limit order's business.
  { ...record('m1', 'buy', 0, 'succeeded', 1), limitPrice: undefined },
];

const judge = (orders: OrderRecord[]) => limitInvariants(orders, TICKS).map(requireChecked);
const violations = (orders: OrderRecord[]) => judge(orders).flatMap((i) => i.violations);

test('consistent limit orders pass every invariant, each having checked something', () => {
  const result = judge(books());
  expect(result.map((i) => [i.checked, i.violations])).toEqual([
    [5, []],
    [3, []],
    [3, []],
  ]);
});

test('an order lost: neither final nor Open, Open without its reservation or its book entry, final yet listed', () => {
  const o = books();
  o[0].result = undefined;
  o[0].resultError = 'workflow not found';
  o[4].money!.state = 'released';
  expect(violations(o)).toEqual([
    'u1 buy limit 2870 b1: neither final nor Open (workflow not found)',
    'u1 sell limit 3000 s2: Open, but its money is released',
    // b1's fill is still judged: Temporal has no price for it.
    'u1 buy limit 2870 b1: filled at 2850 in Redis, undefined in Temporal, 2850 in the read model',
  ]);
  const unlisted = books();
  unlisted[4].listed = false;
  unlisted[3].listed = true;
  expect(violations(unlisted)).toEqual([
    "u1 buy limit 2700 b3: canceled, yet still on its stock's book",
    "u1 sell limit 3000 s2: Open, but not on its stock's book",
  ]);
});

test('an order filled twice: the fill prices of Temporal, the read model and Redis differ', () => {
  const o = books();
  o[1].money!.price = 2_850; // a second fill overwrote the first
  expect(violations(o)).toEqual([
    'u1 sell limit 2860 s1: filled at 2850 in Redis, 2880 in Temporal, 2880 in the read model',
    'u1 sell limit 2860 s1: filled at 2850, which does not cross its limit',
  ]);
});

test('a fill at a price that does not cross (each side), or that the stock never had', () => {
  const o = books();
  o[0] = record('b1', 'buy', 2_840, 'succeeded', 2_850); // a buy above its limit
  o[1] = record('s1', 'sell', 2_890, 'succeeded', 2_880); // a sell below its limit
  o[2] = record('b2', 'buy', 2_900, 'failed', 2_855); // crosses, but no tick was 2855
  expect(violations(o)).toEqual([
    'u1 buy limit 2840 b1: filled at 2850, which does not cross its limit',
    'u1 sell limit 2890 s1: filled at 2880, which does not cross its limit',
    'u1 buy limit 2900 b2: filled at 2855, a price the stock never had',
  ]);
});

test('a run with no limit orders, or none filled, fails the invariants that checked nothing', () => {
  const none = judge([books()[5]]);
  expect(none.every((i) => i.violations.some((v) => v.startsWith('checked nothing')))).toBe(true);
  const unfilled = judge([books()[3], books()[4]]);
  expect(unfilled.map((i) => i.violations.length > 0)).toEqual([false, true, true]);
});
