// The read side's invariant: after settling, each user's GET /orders (every page, with the user's own
// key) lists every accepted order of theirs exactly once, with the final status its workflow answered,
// and nothing else. The order-events consumer lags (and was killed too): polled until it agrees, bounded.
import type { OrderView } from '../../lib/contracts/http/orders';
import { bearer, http } from '../../test/support/http';
import { sleep } from '../wait';
import type { LogicalOrder } from './clients';
import type { Invariant } from './invariants';

interface OrderPage {
  orders?: OrderView[];
  nextCursor?: string;
  error?: string;
}

/** Small pages, so the cursor is followed many times per user. */
const PAGE = 10;

/** Every order GET /orders lists for the key's user, page by page; a failed request throws. */
export async function listAllOrders(base: string, apiKey: string): Promise<OrderView[]> {
  const all: OrderView[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const q = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    const res = await http<OrderPage>(`${base}/orders?${q.toString()}`, {
      headers: bearer(apiKey),
      signal: AbortSignal.timeout(15_000),
    });
    if (res.status !== 200 || !res.body.orders) {
      throw new Error(`GET /orders: ${res.status} ${res.body.error ?? ''}`);
    }
    all.push(...res.body.orders);
    cursor = res.body.nextCursor;
    if (!cursor) return all;
  }
  throw new Error('GET /orders: more than 10,000 pages (a cursor that never ends)');
}

/** What is wrong with one user's listing, given their accepted orders (orderId → final status). */
export function listingViolations(user: string, want: Map<string, string>, listed: OrderView[]): string[] {
  const out: string[] = [];
  const times = new Map<string, number>();
  for (const v of listed) times.set(v.orderId, (times.get(v.orderId) ?? 0) + 1);
  for (const [orderId, status] of want) {
    const items = listed.filter((v) => v.orderId === orderId);
    if (items.length === 0) out.push(`${user}: ${orderId} not listed`);
    else if (items.length > 1) out.push(`${user}: ${orderId} listed ${items.length} times`);
    for (const v of items) {
      if (v.status !== status) out.push(`${user}: ${orderId} listed as "${v.status}", final "${status}"`);
      if (v.user !== user) out.push(`${user}: ${orderId} listed with user "${v.user}"`);
    }
  }
  for (const [orderId, n] of times) {
    if (!want.has(orderId)) out.push(`${user}: ${orderId} listed ${n} time(s) but not an accepted order`);
  }
  return out;
}

export async function checkOrderListing(
  base: string,
  keys: Map<string, string>,
  orders: LogicalOrder[],
  deadline: number,
): Promise<Invariant> {
  const inv: Invariant = {
    name: "GET /orders lists each user's accepted orders exactly once, with their final status, nothing else",
    checked: 0,
    violations: [],
  };
  for (const [user, apiKey] of keys) {
    const want = new Map<string, string>();
    for (const o of orders) {
      if (o.user !== user || !o.orderId) continue;
      // An order with no final status is the "finals" invariant's violation; here it must list as such.
      want.set(o.orderId, o.finalStatus ?? '(no final status)');
    }
    let last: string[];
    for (;;) {
      try {
        last = listingViolations(user, want, await listAllOrders(base, apiKey));
      } catch (err) {
        last = [`${user}: ${(err as Error).message}`];
      }
      if (last.length === 0 || Date.now() > deadline) break;
      await sleep(1_000);
    }
    inv.checked += want.size;
    inv.violations.push(...last);
  }
  return inv;
}
