// The books after a chaos run of buys, sells and cancels: every order's outcome the same in Temporal's
// result, the read model and its Redis money state; shares and credit exactly what the orders that
// succeeded moved (at the price each one's check used); held ≥ reserved ≥ 0 with nothing left reserved;
// and a canceled order moved nothing. `ledgerInvariants` is the pure judgement; `checkLedger` gathers
// what it judges from the stack (and judges the limit orders too: limit-invariant.ts).
import { WorkflowFailedError } from '@temporalio/client';
import {
  buyOrderWorkflowId,
  statusQuery,
  type OrderPhase,
  type OrderSide,
  type OrderState,
} from '../../lib/contracts/orders';
import type { Config } from '../../lib/infra/config';
import type { Redis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import {
  holdingsKey,
  limitBookKey,
  orderKey,
  priceHistoryKey,
  sharesReservedKey,
  userKey,
} from '../../lib/store/keys';
import { SAIPA } from '../../test/support/accounts';
import type { LogicalOrder } from './clients';
import { expectedMoneyState, NO_MONEY_RECORD, type Invariant } from './invariants';
import { limitInvariants } from './limit-invariant';
import { listAllOrders } from './list-invariant';

/** What a user had before the run: credit (rials) and shares by stock id. */
export interface Opening {
  credit: number;
  shares: Record<string, number>;
}

/** A user's books in Redis after the run. */
export interface Books {
  user: string;
  opening: Opening;
  credit: number;
  reserved: number;
  held: Record<string, number>;
  sharesReserved: Record<string, number>;
}

/** An order's outcome as one source tells it. */
export interface Outcome {
  phase: OrderPhase;
  price?: number;
  amount?: number;
  reason?: string;
}

/** One accepted order, as each source tells it (a source absent: it knows nothing of the order). */
export interface OrderRecord {
  orderId: string;
  user: string;
  stockId: string;
  side: OrderSide;
  quantity: number;
  /** The result of the order's workflow, from Temporal. */
  result?: Outcome;
  /** Why there is no result (the workflow failed, was not found, …). */
  resultError?: string;
  /** The read model's view (GET /orders). */
  view?: Outcome;
  /** The order's money state in Redis: its hash's state and amount (and a limit order's fill, once filled). */
  money?: { state: string; amount: number; filled?: boolean; price?: number };
  /** How the client's cancel was answered, if it sent one. */
  cancel?: string;
  /** A limit order's limit; absent for a market order. */
  limitPrice?: number;
  /** A limit order still on its stock's book. */
  listed?: boolean;
}

const inv = (name: string): Invariant => ({ name, checked: 0, violations: [] });

export function ledgerInvariants(books: readonly Books[], orders: readonly OrderRecord[]): Invariant[] {
  const agree = inv(
    "every order's outcome agrees: Temporal's result, the read model's view and its Redis money state",
  );
  const bounds = inv(
    'shares: held ≥ reserved ≥ 0 per user and stock, and nothing reserved once all is final',
  );
  const shares = inv('shares: held = initial + bought − sold, counting the orders that succeeded');
  const credit = inv(
    'credit exact: initial − bought + sold at the checked price (price × quantity), none reserved',
  );
  const canceled = inv('canceled orders moved no money or shares; a cancel answered 200 ended Canceled');

  for (const o of orders) {
    agree.checked++;
    const { result, view, money } = o;
    const id = `${o.user} ${o.side} ${o.orderId}`;
    if (!result) agree.violations.push(`${id}: no result from Temporal (${o.resultError ?? 'none'})`);
    else {
      if (!view) agree.violations.push(`${id}: not in the read model`);
      else if (view.phase !== result.phase || view.amount !== result.amount) {
        agree.violations.push(
          `${id}: Temporal ${result.phase} (${result.amount}), read model ${view.phase} (${view.amount})`,
        );
      }
      const want = expectedMoneyState(result);
      if (!want) agree.violations.push(`${id}: not final in Temporal (${result.phase})`);
      else if ((money?.state ?? NO_MONEY_RECORD) !== want) {
        agree.violations.push(
          `${id}: ${result.phase} in Temporal but its money is ${money?.state ?? 'absent'}`,
        );
      }
      if (result.phase === 'succeeded') {
        if (result.amount === undefined || result.amount !== (result.price ?? NaN) * o.quantity) {
          credit.violations.push(`${id}: amount ${result.amount} ≠ price ${result.price} × ${o.quantity}`);
        } else if (money && money.amount !== result.amount) {
          credit.violations.push(`${id}: Redis amount ${money.amount} ≠ the result's ${result.amount}`);
        }
      }
    }
    if (money?.state === 'reserved') {
      (o.side === 'sell' ? bounds : credit).violations.push(`${id}: still reserved`);
    }
    if (result?.phase === 'canceled' || o.cancel) {
      canceled.checked++;
      // Canceled by its workflow: its reservation released; on the intake, before its turn: none made.
      if (result?.phase === 'canceled' && (money?.state ?? NO_MONEY_RECORD) !== expectedMoneyState(result)) {
        canceled.violations.push(`${id}: Canceled, but its money is ${money?.state ?? 'absent'}`);
      }
      if (o.cancel === 'canceled' && result && result.phase !== 'canceled') {
        canceled.violations.push(`${id}: the cancel answered 200, yet it ended ${result.phase}`);
      }
      if (o.cancel && o.cancel !== 'canceled' && result?.phase === 'canceled') {
        canceled.violations.push(`${id}: the cancel answered ${o.cancel}, yet it ended Canceled`);
      }
    }
  }

  for (const b of books) {
    const mine = orders.filter((o) => o.user === b.user && o.result?.phase === 'succeeded');
    credit.checked++;
    let expected = b.opening.credit;
    for (const o of mine) expected += (o.side === 'sell' ? 1 : -1) * (o.result!.amount ?? 0);
    if (b.credit !== expected) {
      credit.violations.push(
        `${b.user}: credit ${b.credit}, expected ${expected} (initial ${b.opening.credit})`,
      );
    }
    if (b.reserved !== 0) credit.violations.push(`${b.user}: ${b.reserved} credit still reserved`);

    const stocks = new Set([
      ...Object.keys(b.opening.shares),
      ...Object.keys(b.held),
      ...Object.keys(b.sharesReserved),
      ...mine.map((o) => o.stockId),
    ]);
    for (const stock of stocks) {
      bounds.checked++;
      shares.checked++;
      const held = b.held[stock] ?? 0;
      const reserved = b.sharesReserved[stock] ?? 0;
      if (!(held >= reserved && reserved >= 0)) {
        bounds.violations.push(`${b.user} ${stock}: held ${held}, reserved ${reserved}`);
      } else if (reserved !== 0)
        bounds.violations.push(`${b.user} ${stock}: ${reserved} shares still reserved`);
      let want = b.opening.shares[stock] ?? 0;
      for (const o of mine) if (o.stockId === stock) want += (o.side === 'sell' ? -1 : 1) * o.quantity;
      if (held !== want) shares.violations.push(`${b.user} ${stock}: holds ${held}, expected ${want}`);
    }
  }
  return [agree, bounds, shares, credit, canceled];
}

const numbers = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));

/** The outcome a workflow's result tells (a running one's: its status query), or why there is none. */
async function resultOf(temporal: ReturnType<typeof createTemporalClient>, orderId: string) {
  try {
    const handle = temporal.workflow.getHandle<() => Promise<OrderState>>(buyOrderWorkflowId(orderId));
    // A limit order still Open has no result yet: waiting for it would never end.
    const running = (await handle.describe()).status.name === 'RUNNING';
    const s = running ? await handle.query(statusQuery) : await handle.result();
    return { result: { phase: s.phase, price: s.price, amount: s.amount, reason: s.reason } };
  } catch (err) {
    const why = err instanceof WorkflowFailedError ? `failed: ${err.cause?.message}` : (err as Error).message;
    return { resultError: why.split('\n')[0] };
  }
}

/** Gathers every accepted order from Temporal, the read model (through `base`) and Redis, and judges them. */
export async function checkLedger(
  cfg: Config,
  redis: Redis,
  base: string,
  keys: Map<string, string>,
  orders: readonly LogicalOrder[],
  opening: Map<string, Opening>,
  /** Prices the stock had outside its stored history (the run's opening price, put as the latest only). */
  otherPrices: readonly number[] = [],
): Promise<Invariant[]> {
  const temporal = createTemporalClient(cfg);
  try {
    const records: OrderRecord[] = [];
    const books: Books[] = [];
    for (const [user, open] of opening) {
      const views = new Map((await listAllOrders(base, keys.get(user)!)).map((v) => [v.orderId, v]));
      const accepted = orders.filter((o) => o.user === user && o.orderId);
      // A few at a time: one Temporal call each, on a machine still busy with the stack.
      for (let i = 0; i < accepted.length; i += 16) {
        const batch = accepted.slice(i, i + 16);
        const results = await Promise.all(batch.map((o) => resultOf(temporal, o.orderId!)));
        for (const [j, o] of batch.entries()) {
          const v = views.get(o.orderId!);
          const h = await redis.hgetall(orderKey(user, o.orderId!));
          const listed =
            o.limitPrice !== undefined
              ? (await redis.zscore(limitBookKey(SAIPA, o.side), o.orderId!)) !== null
              : undefined;
          records.push({
            orderId: o.orderId!,
            user,
            stockId: SAIPA,
            side: o.side,
            quantity: o.quantity,
            ...results[j],
            view: v && { phase: v.phase, price: v.price, amount: v.amount },
            money: h.state
              ? {
                  state: h.state,
                  amount: Number(h.amount),
                  ...(h.filled ? { filled: true, price: Number(h.price) } : {}),
                }
              : undefined,
            cancel: o.cancel?.answer,
            ...(o.limitPrice !== undefined ? { limitPrice: o.limitPrice, listed } : {}),
          });
        }
      }
      const u = await redis.hgetall(userKey(user));
      books.push({
        user,
        opening: open,
        credit: Number(u.credit),
        reserved: Number(u.reserved),
        held: numbers(await redis.hgetall(holdingsKey(user))),
        sharesReserved: numbers(await redis.hgetall(sharesReservedKey(user))),
      });
    }
    // Every price the stock had: a limit order fills only at one of them.
    const ticks = Object.values(await redis.hgetall(priceHistoryKey(SAIPA)));
    const tickPrices = new Set([
      ...otherPrices,
      ...ticks.map((t) => Number((JSON.parse(t) as { price: number }).price)),
    ]);
    return [...ledgerInvariants(books, records), ...limitInvariants(records, tickPrices)];
  } finally {
    await temporal.connection.close();
  }
}
