// What a chaos run reports: the kills it survived, the orders it placed and each invariant with its count.
import { canceledWhileQueued, statusText } from '../../lib/contracts/orders';
import type { AppProcess } from '../stack/app-processes';
import type { LogicalOrder, OrderAvailability, Unanswered } from './clients';
import type { Invariant } from './invariants';
import type { PriceLag } from './price-watch';

/** A kind of process a chaos run kills (any copy or node of it). */
export type Kind = AppProcess | 'kafka' | 'redis' | 'temporal';

export interface ChaosReport {
  seed: number;
  /** Run on the HA layout (three brokers, two of every app process). */
  ha: boolean;
  kills: Record<Kind, number>;
  /** Kills by copy or node (api-2, kafka-3, ...). */
  killsByTarget: Record<string, number>;
  /** Seconds from kill to back, summed over a kind's copies (their outages overlap others' kinds). */
  secondsDown: Record<Kind, number>;
  selfExits: Record<AppProcess, number>;
  /** Restarts after a kill that failed and were tried again. */
  restartFailures: number;
  orders: {
    placed: number;
    accepted: number;
    /** Of the accepted, answered 202 (queued on the burst intake), and of those canceled before their turn. */
    queued: number;
    canceledWhileQueued: number;
    retries: number;
    duplicates: number;
    bySide: { buy: number; sell: number };
    byFinal: Record<string, number>;
    cancels: CancelTally;
  };
  availability: {
    /** Every order request the clients made through the load balancer. */
    orders: OrderAvailability;
    /** Those made while no process without a twin (the Temporal server) was down. */
    ordersTwinned: OrderAvailability;
    prices: PriceLag;
    /** The unanswered order requests, filed under what was down while they were made. */
    unanswered: MissAttribution;
  };
  invariants: Invariant[];
  ok: boolean;
}

/** The cancels the clients meant to send and how they were answered. */
export interface CancelTally {
  /** Orders drawn for a cancel. */
  planned: number;
  /** Of them, accepted open (the others were decided at once or never accepted): a cancel was sent. */
  sent: number;
  /** By answer: "canceled" (200), "409 order_final" (decided first), …, "unanswered". */
  byAnswer: Record<string, number>;
}

/** The orders' part of the report: how many were placed, accepted, queued, retried, and how each ended. */
export function orderTally(orders: readonly LogicalOrder[]): ChaosReport['orders'] {
  const byFinal = new Map<string, number>();
  for (const o of orders) tally(byFinal, o.finalStatus ?? 'none');
  return {
    placed: orders.length,
    accepted: orders.filter((o) => o.orderId).length,
    ...queueTally(orders),
    retries: orders.reduce((n, o) => n + Math.max(0, o.attempts - 1), 0),
    duplicates: 0,
    bySide: {
      buy: orders.filter((o) => o.side === 'buy').length,
      sell: orders.filter((o) => o.side === 'sell').length,
    },
    byFinal: Object.fromEntries(byFinal),
    cancels: cancelTally(orders),
  };
}

function queueTally(orders: readonly LogicalOrder[]) {
  const queued = orders.filter((o) => o.orderId && o.firstStatus === statusText('queued', o.side));
  return {
    queued: queued.length,
    canceledWhileQueued: queued.filter(
      (o) =>
        o.finalStatus === statusText('canceled', o.side) &&
        canceledWhileQueued({ phase: 'canceled', reason: o.finalReason }),
    ).length,
  };
}

export function cancelTally(orders: readonly LogicalOrder[]): CancelTally {
  const byAnswer = new Map<string, number>();
  const sent = orders.filter((o) => o.cancel && o.cancel.attempts > 0);
  for (const o of sent) tally(byAnswer, o.cancel!.answer ?? 'unanswered');
  return {
    planned: orders.filter((o) => o.cancel).length,
    sent: sent.length,
    byAnswer: Object.fromEntries(byAnswer),
  };
}

export interface MissAttribution {
  /** By the kinds down at the request's start or end ("redis", "temporal+worker", "nothing"). */
  byDown: Record<string, number>;
  /** How many had each kind down (one request counts under every kind it had down). */
  byKind: Record<string, number>;
  /** By the last answer ("503 unavailable: …", "no answer"). */
  byAnswer: Record<string, number>;
  /** The ten-second windows with the most, keyed by their start ("t+120 s"). */
  worstWindows: Record<string, number>;
}

const mostFirst = (r: Map<string, number>, top: number) =>
  Object.fromEntries([...r].sort((a, b) => b[1] - a[1]).slice(0, top));

const tally = (r: Map<string, number>, key: string) => r.set(key, (r.get(key) ?? 0) + 1);

/** Files each unanswered request under the kinds of what was down, its answer and its window. */
export function attributeMisses(
  misses: readonly Unanswered[],
  kindOf: ReadonlyMap<string, Kind>,
  startedAt: number,
): MissAttribution {
  const byDown = new Map<string, number>();
  const byKind = new Map<string, number>();
  const byAnswer = new Map<string, number>();
  const windows = new Map<string, number>();
  for (const m of misses) {
    const kinds = [...new Set(m.down.map((name) => kindOf.get(name) ?? name))].sort();
    tally(byDown, kinds.length ? kinds.join('+') : 'nothing');
    for (const k of kinds.length ? kinds : ['nothing']) tally(byKind, k);
    tally(byAnswer, m.answer);
    tally(windows, `t+${Math.floor((m.at - startedAt) / 10_000) * 10} s`);
  }
  return {
    byDown: mostFirst(byDown, 12),
    byKind: mostFirst(byKind, 12),
    byAnswer: mostFirst(byAnswer, 8),
    worstWindows: mostFirst(windows, 6),
  };
}

const pct = (a: OrderAvailability) =>
  a.requests ? `${((100 * a.answered) / a.requests).toFixed(2)} %` : 'n/a (no request)';

const orderLine = (a: OrderAvailability) =>
  `${a.answered}/${a.requests} answered with a credit-check result (${pct(a)}); ` +
  `${a.later} "later" (429, 408, no_fresh_price), ${a.unanswered} unanswered (503, 5xx or no connection)`;

const counts = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

export function formatReport(r: ChaosReport): string {
  const lines = [
    `seed ${r.seed}`,
    `kills survived: ${counts(r.kills)}`,
    `kills by copy or node: ${counts(r.killsByTarget)} (${Object.values(r.kills).reduce((a, b) => a + b, 0)} in all${r.ha ? ', HA layout' : ''})`,
    `seconds down (kill to back, summed by kind): ${counts(Object.fromEntries(Object.entries(r.secondsDown).map(([k, v]) => [k, Math.round(v)])))}`,
    `processes that died on their own (restarted): ${counts(r.selfExits)}; restarts tried again: ${r.restartFailures}`,
    `orders: ${r.orders.placed} placed, ${r.orders.accepted} accepted (${r.orders.queued} queued first, ` +
      `${r.orders.canceledWhileQueued} canceled while queued), ${r.orders.retries} client retries; ` +
      Object.entries(r.orders.byFinal)
        .map(([k, n]) => `${n} × ${k}`)
        .join('; '),
    `orders by side: ${counts(r.orders.bySide)}; cancels: ${r.orders.cancels.planned} drawn, ` +
      `${r.orders.cancels.sent} sent to orders accepted open, answered ${counts(r.orders.cancels.byAnswer) || 'none'}`,
  ];
  const { orders, ordersTwinned, prices } = r.availability;
  lines.push(
    `availability, order requests: ${orderLine(orders)}; ${orders.failovers} failed over to the other API`,
    `  of them while only processes with a twin were down: ${orderLine(ordersTwinned)}`,
    `availability, prices: ${prices.minutes} minutes, longest from due to stored ${(prices.longestMs / 1000).toFixed(1)} s` +
      `${prices.worstMinute ? ` (${prices.worstMinute})` : ''}, median ${(prices.medianMs / 1000).toFixed(1)} s, ` +
      `${prices.missing} never stored`,
  );
  const { unanswered } = r.availability;
  if (orders.unanswered > 0) {
    lines.push(
      `unanswered, by a kind down (one request under each): ${counts(unanswered.byKind)}`,
      `unanswered, by what was down: ${counts(unanswered.byDown)}`,
      `unanswered, by answer: ${counts(unanswered.byAnswer)}`,
      `unanswered, worst ten seconds: ${counts(unanswered.worstWindows)}`,
    );
  }
  for (const inv of r.invariants) {
    lines.push(
      `${inv.violations.length === 0 ? 'OK  ' : 'FAIL'} ${inv.name}: ${inv.checked} checked, ${inv.violations.length} violations`,
    );
    for (const v of inv.violations.slice(0, 20)) lines.push(`       ${v}`);
  }
  lines.push(r.ok ? 'all invariants hold' : 'INVARIANTS VIOLATED');
  return lines.join('\n');
}
