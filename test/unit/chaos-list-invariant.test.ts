// The chaos run's read-side invariant (issue 11): each user's GET /orders lists every accepted order once
// with its final status and nothing else; each way of breaking that is a violation, and a run with no
// accepted order is one too, not "0 checked, OK".
import type { OrderView } from '../../lib/contracts/http/orders';
import { requireChecked } from '../../scripts/chaos/invariants';
import { checkOrderListing, listingViolations } from '../../scripts/chaos/list-invariant';

const OK = 'Success: Buy order complete.';
const DENY = 'Deny: Not enough credit';
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

const view = (orderId: string, status: string, user = 'u1') => ({ orderId, status, user }) as OrderView;
const want = new Map([
  [A, OK],
  [B, DENY],
]);

test('the listing that agrees has no violation', () => {
  expect(listingViolations('u1', want, [view(B, DENY), view(A, OK)])).toEqual([]);
});

test('missing, twice, a stale status, another user, and an order nobody placed are each named', () => {
  expect(listingViolations('u1', want, [view(A, OK)])).toEqual([`u1: ${B} not listed`]);
  expect(listingViolations('u1', want, [view(A, OK), view(B, DENY), view(A, OK)])).toEqual([
    `u1: ${A} listed 2 times`,
  ]);
  const stale = 'In Progress: Credit check passed. User verification in progress...';
  expect(listingViolations('u1', want, [view(A, stale), view(B, DENY)])).toEqual([
    `u1: ${A} listed as "${stale}", final "${OK}"`,
  ]);
  expect(listingViolations('u1', want, [view(A, OK, 'u2'), view(B, DENY)])).toEqual([
    `u1: ${A} listed with user "u2"`,
  ]);
  expect(listingViolations('u1', want, [view(A, OK), view(B, DENY), view(C, OK)])).toEqual([
    `u1: ${C} listed 1 time(s) but not an accepted order`,
  ]);
});

test('no accepted order: the check checked nothing, which is a violation', async () => {
  const inv = requireChecked(await checkOrderListing('http://127.0.0.1:1', new Map(), [], Date.now()));
  expect(inv.checked).toBe(0);
  expect(inv.violations).toEqual(['checked nothing: an invariant that looked at nothing proves nothing']);
});
