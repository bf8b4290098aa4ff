// The chaos run's books (issue 22): buys, sells and cancels judged from Temporal's results, the read
// model and Redis. Books that agree pass; each corruption a fault could leave is named; and an
// invariant that checked nothing fails.
import { queuedCancelReason } from '../../lib/contracts/orders';
import { requireChecked } from '../../scripts/chaos/invariants';
import { ledgerInvariants, type Books, type OrderRecord } from '../../scripts/chaos/ledger-invariant';

const S = '44891482026867833';
const P = 2_850;

/** u1 starts with 1,000,000 rials and 100 shares; buys 10 (settled), sells 30 (settled), one canceled. */
function run(): { books: Books[]; orders: OrderRecord[] } {
  const order = (
    orderId: string,
    side: 'buy' | 'sell',
    quantity: number,
    phase: 'succeeded' | 'canceled' | 'failed' | 'denied',
    state: string,
    cancel?: string,
  ): OrderRecord => {
    const o = { phase, price: P, amount: P * quantity };
    return {
      orderId,
      user: 'u1',
      stockId: S,
      side,
      quantity,
      result: o,
      view: { ...o },
      money: { state, amount: P * quantity },
      cancel,
    };
  };
  return {
    books: [
      {
        user: 'u1',
        opening: { credit: 1_000_000, shares: { [S]: 100 } },
        credit: 1_000_000 - 10 * P + 30 * P,
        reserved: 0,
        held: { [S]: 100 + 10 - 30 },
        sharesReserved: { [S]: 0 },
      },
    ],
    orders: [
      order('b1', 'buy', 10, 'succeeded', 'settled'),
      order('s1', 'sell', 30, 'succeeded', 'settled'),
      order('s2', 'sell', 5, 'canceled', 'released', 'canceled'),
      order('b2', 'buy', 7, 'failed', 'released'),
      order('b3', 'buy', 3, 'succeeded', 'settled', '409 order_final'),
    ],
  };
}

// b3 succeeded too: the books above count it.
function consistent() {
  const r = run();
  r.books[0].credit -= 3 * P;
  r.books[0].held[S] += 3;
  return r;
}

/** The invariants in ledgerInvariants' order, by what each is about. */
const judge = (r: { books: Books[]; orders: OrderRecord[] }) => {
  const [agree, bounds, shares, credit, canceled] = ledgerInvariants(r.books, r.orders);
  return { agree: agree, bounds: bounds, shares: shares, credit: credit, canceled: canceled };
};

test('consistent books: every invariant checked something and holds', () => {
  const r = consistent();
  const invs = ledgerInvariants(r.books, r.orders);
  expect(invs.map((i) => [i.checked, i.violations])).toEqual([
    [5, []],
    [1, []],
    [1, []],
    [1, []],
    [2, []],
  ]);
});

test('a sell that settled twice (shares gone twice, credit twice) is caught', () => {
  const r = consistent();
  r.books[0].held[S] -= 30;
  r.books[0].credit += 30 * P;
  const { shares, credit } = judge(r);
  expect(shares.violations).toEqual([`u1 ${S}: holds 53, expected 83`]);
  expect(credit.violations).toEqual([
    `u1: credit ${1_000_000 + 47 * P}, expected ${1_000_000 + 17 * P} (initial 1000000)`,
  ]);
});

test('shares reserved beyond those held, or left reserved, and an order still reserved are caught', () => {
  const r = consistent();
  r.books[0].sharesReserved[S] = 90;
  r.orders[2].money!.state = 'reserved';
  r.orders[2].result!.phase = 'failed';
  r.orders[2].view!.phase = 'failed';
  expect(judge(r).bounds.violations).toEqual(['u1 sell s2: still reserved', `u1 ${S}: held 83, reserved 90`]);
  r.books[0].sharesReserved[S] = 4;
  expect(judge(r).bounds.violations).toContain(`u1 ${S}: 4 shares still reserved`);
});

test('a canceled order that moved money, and a cancel answered 200 that did not cancel, are caught', () => {
  const r = consistent();
  r.orders[2].money!.state = 'settled';
  r.orders[3].cancel = 'canceled';
  const c = judge(r).canceled;
  expect(c.checked).toBe(3);
  expect(c.violations).toEqual([
    'u1 sell s2: Canceled, but its money is settled',
    'u1 buy b2: the cancel answered 200, yet it ended failed',
  ]);
});

test('canceled on the intake before its turn: no money record is right, and a record is caught', () => {
  const queuedCancel = (orderId: string, money?: { state: string; amount: number }): OrderRecord => {
    const outcome = { phase: 'canceled' as const, reason: queuedCancelReason('u1') };
    return {
      orderId,
      user: 'u1',
      stockId: S,
      side: 'buy',
      quantity: 4,
      result: outcome,
      view: { phase: 'canceled' },
      money,
      cancel: 'canceled',
    };
  };
  const r = consistent();
  r.orders.push(queuedCancel('q1'));
  expect(ledgerInvariants(r.books, r.orders).map((i) => i.violations)).toEqual([[], [], [], [], []]);
  // A reservation released is a workflow's cancel, not the intake's; and a workflow's cancel with no record.
  r.orders.push(queuedCancel('q2', { state: 'released', amount: 4 * P }));
  r.orders[2].money = undefined;
  const { agree, canceled } = judge(r);
  expect(agree.violations).toEqual([
    'u1 sell s2: canceled in Temporal but its money is absent',
    'u1 buy q2: canceled in Temporal but its money is released',
  ]);
  expect(canceled.violations).toEqual([
    'u1 sell s2: Canceled, but its money is absent',
    'u1 buy q2: Canceled, but its money is released',
  ]);
});

test('the sources disagree: read model, Redis, a missing result, an amount off the checked price', () => {
  const r = consistent();
  r.orders[0].view!.phase = 'failed';
  r.orders[1].money!.state = 'released';
  r.orders[3] = { ...r.orders[3], result: undefined, resultError: 'workflow not found' };
  r.orders[4].result!.amount = 3 * P + 1;
  r.orders[4].view!.amount = 3 * P + 1;
  const { agree, credit } = judge(r);
  expect(agree.violations).toEqual([
    `u1 buy b1: Temporal succeeded (${10 * P}), read model failed (${10 * P})`,
    'u1 sell s1: succeeded in Temporal but its money is released',
    'u1 buy b2: no result from Temporal (workflow not found)',
  ]);
  expect(credit.violations[0]).toBe(`u1 buy b3: amount ${3 * P + 1} ≠ price ${P} × 3`);
});

test('no order, no user: each invariant checked nothing, and fails', () => {
  const invs = ledgerInvariants([], []).map(requireChecked);
  expect(invs.map((i) => [i.checked, i.violations.length])).toEqual(invs.map(() => [0, 1]));
});
