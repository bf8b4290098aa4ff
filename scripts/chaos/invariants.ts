// The order invariants a chaos run must leave intact: every accepted order final exactly once, money
// conserved per user, holdings equal to what settled, and no second order for one Idempotency-Key.
import type { Config } from '../../lib/infra/config';
import type { Redis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { scanKeys } from '../../lib/store/cluster';
import { holdingsKey, orderKey, userKey } from '../../lib/store/keys';
import { SAIPA } from '../../test/support/accounts';
import { waitFor } from '../wait';
import type { LogicalOrder } from './clients';

export interface Invariant {
  name: string;
  checked: number;
  violations: string[];
}

const FINAL_TO_STATE: Record<string, string> = {
  'Success: Buy order complete.': 'settled',
  'Failure: User verification unsuccessful.': 'released',
  'Deny: Not enough credit': 'denied',
};

export async function checkOrderInvariants(
  cfg: Config,
  redis: Redis,
  orders: LogicalOrder[],
  initialCredit: Map<string, number>,
): Promise<Invariant[]> {
  const inv = (name: string): Invariant => ({ name, checked: 0, violations: [] });
  const accepted = orders.filter((o) => o.orderId);

  const finals = inv('every accepted order reached exactly one final status, none stuck');
  for (const o of accepted) {
    finals.checked++;
    const state = await redis.hget(orderKey(o.user, o.orderId!), 'state');
    if (!o.finalStatus) finals.violations.push(`${o.orderId}: no final status (state ${state})`);
    else if (FINAL_TO_STATE[o.finalStatus] !== state) {
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

    const money = inv('money conserved per user: initial = credit + reserved + settled; no reservation left');
    const holdings = inv('holdings equal the settled quantities');
    const idem = inv('Idempotency-Key retries never created a second order');
    for (const [user, initial] of initialCredit) {
      money.checked++;
      holdings.checked++;
      idem.checked++;
      const u = await redis.hgetall(userKey(user));
      const orderKeys = await scanKeys(redis, orderKey(user, '*'));
      let settled = 0;
      let settledQty = 0;
      for (const k of orderKeys) {
        const h = await redis.hgetall(k);
        if (h.state === 'settled') {
          settled += Number(h.amount);
          settledQty += Number(h.quantity);
        }
        if (h.state === 'reserved') money.violations.push(`${k}: still reserved`);
      }
      const credit = Number(u.credit);
      const reserved = Number(u.reserved);
      if (credit + reserved + settled !== initial) {
        money.violations.push(
          `${user}: credit ${credit} + reserved ${reserved} + settled ${settled} ≠ initial ${initial}`,
        );
      }
      if (reserved !== 0) money.violations.push(`${user}: ${reserved} still reserved`);
      const held = Number((await redis.hget(holdingsKey(user), SAIPA)) ?? 0);
      if (held !== settledQty) holdings.violations.push(`${user}: holds ${held}, settled ${settledQty}`);

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
    return [finals, money, holdings, idem];
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
