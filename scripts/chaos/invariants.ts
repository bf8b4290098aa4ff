// The order invariants a chaos run must leave intact: every accepted order final exactly once and no
// second order for one Idempotency-Key (the books, money and shares, are ledger-invariant.ts's).
import type { Config } from '../../lib/infra/config';
import type { Redis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { canceledWhileQueued, ORDER_SIDES, statusText, type OrderPhase } from '../../lib/contracts/orders';
import { scanKeys } from '../../lib/store/cluster';
import { orderKey } from '../../lib/store/keys';
import { waitFor } from '../wait';
import type { LogicalOrder } from './clients';

export interface Invariant {
  name: string;
  checked: number;
  violations: string[];
}

/** The money state each final phase leaves in the order's Redis hash. */
export const MONEY_STATE: Partial<Record<OrderPhase, string>> = {
  succeeded: 'settled',
  failed: 'released',
  denied: 'denied',
  canceled: 'released',
};

/** A final status text (either side's) → its phase. */
const FINAL_TO_PHASE: Record<string, OrderPhase> = Object.fromEntries(
  ORDER_SIDES.flatMap((side) =>
    Object.keys(MONEY_STATE).map((phase) => [statusText(phase as OrderPhase, side), phase as OrderPhase]),
  ),
);

/** What an order's Redis hash must hold once final: its money state, or 'none' (no hash at all). */
export const NO_MONEY_RECORD = 'none';
export function expectedMoneyState(s: { phase: OrderPhase; reason?: string }): string | undefined {
  // Canceled on the burst intake before its turn: nothing was checked or reserved, so no hash exists.
  return canceledWhileQueued(s) ? NO_MONEY_RECORD : MONEY_STATE[s.phase];
}

/** An invariant that looked at nothing proves nothing: it fails. */
export function requireChecked(inv: Invariant): Invariant {
  if (inv.checked === 0)
    inv.violations.push('checked nothing: an invariant that looked at nothing proves nothing');
  return inv;
}

export async function checkOrderInvariants(
  cfg: Config,
  redis: Redis,
  orders: LogicalOrder[],
  users: readonly string[],
): Promise<Invariant[]> {
  const inv = (name: string): Invariant => ({ name, checked: 0, violations: [] });
  const accepted = orders.filter((o) => o.orderId);

  const finals = inv('every accepted order reached exactly one final status, none stuck');
  for (const o of accepted) {
    finals.checked++;
    const state = (await redis.hget(orderKey(o.user, o.orderId!), 'state')) ?? NO_MONEY_RECORD;
    const phase = o.finalStatus === undefined ? undefined : FINAL_TO_PHASE[o.finalStatus];
    if (!o.finalStatus) finals.violations.push(`${o.orderId}: no final status (state ${state})`);
    else if (!phase || expectedMoneyState({ phase, reason: o.finalReason }) !== state) {
      finals.violations.push(`${o.orderId}: final "${o.finalStatus}" but its money is ${state}`);
    }
  }
  for (const o of orders.filter((x) => !x.orderId)) {
    finals.checked++;
    finals.violations.push(`order ${o.key} of ${o.user} never accepted (${o.refused ?? 'no answer'})`);
  }
  const temporal = createTemporalClient(cfg);
  try {
    const { count: running } = await temporal.workflow.count(
      'WorkflowType = "buyOrder" AND ExecutionStatus = "Running"',
    );
    if (running > 0) finals.violations.push(`${running} buyOrder workflows still running`);

    const idem = inv('Idempotency-Key retries never created a second order');
    for (const user of users) {
      idem.checked++;
      const orderKeys = await scanKeys(redis, orderKey(user, '*'));
      const mine = orders.filter((o) => o.user === user);
      const drift = mine.reduce((n, o) => n + o.idDrift, 0);
      if (drift) idem.violations.push(`${user}: ${drift} retries answered with another order id`);
      if (orderKeys.length > mine.length) {
        idem.violations.push(`${user}: ${orderKeys.length} orders in Redis for ${mine.length} keys`);
      }
      // Visibility is eventually consistent: wait for it to agree, then compare.
      const expected = new Set(mine.filter((o) => o.orderId).map((o) => o.orderId)).size;
      let seen = -1;
      const visible = async () => {
        // A failed run is no order (the workflow's credit check refused it; a retry of its key runs again).
        const query = `WorkflowType = "buyOrder" AND OrderUser = "${user}" AND ExecutionStatus != "Failed"`;
        seen = (await temporal.workflow.count(query)).count;
        return seen >= expected;
      };
      await waitFor(`${user}'s workflows visible`, visible, 60_000, 1_000).catch(() => undefined);
      if (seen !== expected) idem.violations.push(`${user}: ${seen} workflows for ${expected} orders`);
    }
    return [finals, idem];
  } finally {
    await temporal.connection.close();
  }
}

/**
 * A fault may make the API say "later" (503 with Retry-After), never "broken": a 500 (or 502, 504) is
 * an error the API did not map, a bug whatever was down at the time.
 */
export function checkServerErrors(answers: number, serverErrors: readonly string[]): Invariant {
  const byAnswer = new Map<string, number>();
  for (const e of serverErrors) byAnswer.set(e, (byAnswer.get(e) ?? 0) + 1);
  return {
    name: 'no answer was a 5xx other than 503',
    checked: answers,
    violations: [...byAnswer].map(([answer, n]) => `${n} × ${answer}`),
  };
}
