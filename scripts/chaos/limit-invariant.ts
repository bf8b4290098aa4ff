// The limit orders after a chaos run: none lost (each final, or still Open with its reservation and its
// entry on the stock's book), none filled twice (one fill: the price Temporal's result, the read model
// and the order's Redis hash tell is the same), none filled at a price that did not cross its limit or
// that the stock never had. `limitInvariants` is the pure judgement of what checkLedger gathers.
import { crossesLimit } from '../../lib/contracts/orders';
import type { Invariant } from './invariants';
import { MONEY_STATE } from './invariants';
import type { OrderRecord } from './ledger-invariant';

const inv = (name: string): Invariant => ({ name, checked: 0, violations: [] });

/** `records` (the limit orders among them are judged); `tickPrices`: every price the stock's history holds. */
export function limitInvariants(
  records: readonly OrderRecord[],
  tickPrices: ReadonlySet<number>,
): Invariant[] {
  const lost = inv('limit orders: none lost (each final, or Open with its reservation and its book entry)');
  const twice = inv('limit orders: none filled twice (one fill price in Temporal, the read model and Redis)');
  const crossed = inv(
    'limit orders: none filled at a price that did not cross its limit, or that the stock never had',
  );
  for (const o of records) {
    if (o.limitPrice === undefined) continue;
    const id = `${o.user} ${o.side} limit ${o.limitPrice} ${o.orderId}`;
    const phase = o.result?.phase;
    lost.checked++;
    if (phase === 'open') {
      if (o.money?.state !== 'reserved')
        lost.violations.push(`${id}: Open, but its money is ${o.money?.state ?? 'absent'}`);
      if (!o.listed) lost.violations.push(`${id}: Open, but not on its stock's book`);
    } else if (!phase || !MONEY_STATE[phase]) {
      lost.violations.push(`${id}: neither final nor Open (${phase ?? o.resultError ?? 'no result'})`);
    } else if (o.listed) lost.violations.push(`${id}: ${phase}, yet still on its stock's book`);

    if (!o.money?.filled) continue;
    twice.checked++;
    crossed.checked++;
    const prices = [o.money.price, o.result?.price, o.view?.price];
    if (new Set(prices).size !== 1) {
      twice.violations.push(
        `${id}: filled at ${o.money.price} in Redis, ${o.result?.price} in Temporal, ${o.view?.price} in the read model`,
      );
    }
    const at = o.money.price;
    if (at === undefined || !crossesLimit(o.side, o.limitPrice, at)) {
      crossed.violations.push(`${id}: filled at ${at}, which does not cross its limit`);
    } else if (!tickPrices.has(at))
      crossed.violations.push(`${id}: filled at ${at}, a price the stock never had`);
  }
  return [lost, twice, crossed];
}
