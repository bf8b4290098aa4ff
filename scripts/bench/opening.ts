// The bench's opening-bell scenario: a burst of orders from many users at once (2,000 from 200 users
// within 10 s by default), far above what two cores check per second. Every order is answered
// (201: checked; 202: recorded, its check queued; 503 overloaded: refused for load), every
// acknowledged order is followed by long poll until final, and each user's orders must be decided in
// the order they were acknowledged.
import { isFinal, type OrderPhase } from '../../lib/contracts/orders';
import type { Config } from '../../lib/infra/config';
import { fmt, openLoop, orderApi, say, sleep, stats, type OrderAnswer, type Stats } from './bench-lib';
import { coresText, withCpu } from './cpu';
import { BENCH_ENV, BENCH_STOCK, type BenchOptions } from './options';
import { drain, errorKindsText, newUser, untilAccepting } from './order-load';

export const OPENING_USERS = 200;
/** The price newUser puts on the bench stock: each order (quantity 1) reserves this much credit. */
const ORDER_AMOUNT = 2850;
/** How long after the last answer the scenario waits for every acknowledged order to be final. */
const FINAL_WAIT_MS = 180_000;
/** Long polls at once while following the acknowledged orders. */
const FOLLOWERS = 50;

/** One acknowledged order as the client saw it. */
export interface Acked {
  user: string;
  orderId: string;
  /** When its POST was answered (epoch ms): the order's place in its user's sequence. */
  ackedAt: number;
  /** Its final phase, once a view said final; undefined if none did within the wait (lost). */
  finalPhase?: OrderPhase;
  /** When its check was decided (epoch ms): see decidedAt(). */
  decidedAt?: number;
}

/**
 * Per-user arrival order, observed through credit: each user has credit for all but the last of its
 * orders, each order reserving the same amount, so when checks run in acknowledgment order a user's
 * passed orders come first and its denied ones after. A passed order acknowledged after one of the
 * same user's denied orders was checked out of order: one violation. Orders never final are not
 * judged (they count as lost).
 */
export function arrivalViolations(orders: readonly Acked[]): number {
  const byUser = new Map<string, Acked[]>();
  for (const o of orders) {
    if (o.finalPhase === undefined) continue;
    byUser.set(o.user, [...(byUser.get(o.user) ?? []), o]);
  }
  let violations = 0;
  for (const list of byUser.values()) {
    let denied = false;
    for (const o of [...list].sort((a, b) => a.ackedAt - b.ackedAt)) {
      if (o.finalPhase === 'denied') denied = true;
      else if (denied) violations += 1;
    }
  }
  return violations;
}

/**
 * When an order's credit check was decided: a 201 carries the check's outcome, so its answer time; a
 * 202's check follows later, so its final view's updatedAt (the check's own time for a denied order,
 * the settlement's for a passed one: with the bench's 0 s verification, milliseconds later).
 */
export function decidedAt(status: number, answeredAt: number, finalView?: { updatedAt?: string }) {
  if (status === 201) return answeredAt;
  const t = finalView?.updatedAt ? Date.parse(finalView.updatedAt) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** Credit for all but the last of `orders` orders, with half an order to spare. */
export const openingCredit = (orders: number) => Math.max(0, orders - 1) * ORDER_AMOUNT + ORDER_AMOUNT / 2;

export interface OpeningFigures {
  users: number;
  offered: number;
  offeredWithinSeconds: number;
  /** Answered 201: the check done before the answer. */
  answered201: number;
  /** Answered 202: recorded, the check queued. */
  answered202: number;
  /** 503 overloaded: refused for load, nothing recorded. */
  refusedForLoad: number;
  /** Every other answer or failure, by kind. */
  otherErrors: Record<string, number>;
  /** POST answer latency of the acknowledged (201 and 202), from the scheduled send time. */
  ackLatencyMs: Stats;
  acked: number;
  /** Acknowledged orders whose final state is known; lost = acked − decided. */
  decided: number;
  lost: number;
  denied: number;
  arrivalViolations: number;
  /** First offer → the last acknowledged order's check decided. */
  drainSeconds: number;
  /** Cores each process used from the first offer to the last answer (cpu.ts). */
  cpuCores: Record<string, number>;
}

export async function opening(cfg: Config, opts: BenchOptions): Promise<OpeningFigures> {
  const api = orderApi(`http://127.0.0.1:${BENCH_ENV.API_PORT}`);
  const warm = await newUser(cfg, 'opening-warm');
  await untilAccepting(api, warm);
  await drain(cfg);
  const users = Math.min(OPENING_USERS, opts.orders);
  const perUser = Math.ceil(opts.orders / users);
  const names: string[] = [];
  for (let i = 0; i < users; i++) names.push(await newUser(cfg, `opening-${i}`, openingCredit(perUser)));

  let next = 0;
  const fire = async (): Promise<{ user: string; answer: OrderAnswer }> => {
    const user = names[next++ % users];
    return { user, answer: await api.placeOrder(user, BENCH_STOCK) };
  };
  const started = performance.timeOrigin + performance.now();
  const {
    value: { results },
    cores,
  } = await withCpu(() => openLoop(opts.orders / opts.seconds, opts.seconds, fire));

  const acked: (Acked & { status: number })[] = [];
  const latencies: number[] = [];
  const otherErrors: Record<string, number> = {};
  let refusedForLoad = 0;
  for (const r of results) {
    const status = r.value?.answer.status;
    const body = r.value?.answer.body;
    if ((status === 201 || status === 202) && body?.orderId) {
      const ackedAt = performance.timeOrigin + r.answeredAt;
      latencies.push(r.ms);
      acked.push({
        status,
        user: r.value!.user,
        orderId: body.orderId,
        ackedAt,
        ...(body.final ? { finalPhase: body.phase as OrderPhase, decidedAt: ackedAt } : {}),
      });
    } else if (status === 503 && body?.error === 'overloaded') refusedForLoad += 1;
    else {
      const kind = status ? `${status} ${body?.error ?? ''}`.trim() : `failed: ${r.error}`;
      otherErrors[kind] = (otherErrors[kind] ?? 0) + 1;
    }
  }

  // Follow every acknowledged order not yet final until it is, FOLLOWERS long polls at once.
  const deadline = Date.now() + FINAL_WAIT_MS;
  const todo = acked.filter((o) => o.finalPhase === undefined);
  await Promise.all(
    Array.from({ length: FOLLOWERS }, async () => {
      for (let o = todo.shift(); o; o = todo.shift()) {
        while (Date.now() < deadline) {
          const wait = Math.max(1, Math.min(20, Math.floor((deadline - Date.now()) / 1000)));
          const view = await api.result(o.user, o.orderId, wait).catch(() => undefined);
          const body = view?.body;
          if (view?.status === 200 && body?.final && body.phase && isFinal(body.phase as OrderPhase)) {
            o.finalPhase = body.phase as OrderPhase;
            // A 201 that was not yet final still had its check done before its answer.
            o.decidedAt = decidedAt(o.status, o.ackedAt, body);
            break;
          }
          if (!view || view.status >= 500) await sleep(500);
        }
      }
    }),
  );
  // A 201 answered In Progress had its check decided at its answer, final or not.
  for (const o of acked) if (o.status === 201 && o.decidedAt === undefined) o.decidedAt = o.ackedAt;

  const decided = acked.filter((o) => o.finalPhase !== undefined);
  const lastDecided = Math.max(...acked.map((o) => o.decidedAt ?? NaN).filter(Number.isFinite));
  const figures: OpeningFigures = {
    users,
    offered: results.length,
    offeredWithinSeconds: opts.seconds,
    answered201: acked.filter((o) => o.status === 201).length,
    answered202: acked.filter((o) => o.status === 202).length,
    refusedForLoad,
    otherErrors,
    ackLatencyMs: stats(latencies),
    acked: acked.length,
    decided: decided.length,
    lost: acked.length - decided.length,
    denied: decided.filter((o) => o.finalPhase === 'denied').length,
    arrivalViolations: arrivalViolations(acked),
    drainSeconds: Number.isFinite(lastDecided) ? Math.round((lastDecided - started) / 100) / 10 : NaN,
    cpuCores: cores,
  };
  const others = errorKindsText(otherErrors);
  say(
    `opening: ${figures.offered} offered in ${opts.seconds} s by ${users} users: ${figures.answered201} × 201, ` +
      `${figures.answered202} × 202, ${refusedForLoad} × 503 overloaded${others ? `, ${others}` : ''}; ` +
      `ack ${fmt(figures.ackLatencyMs)}; lost ${figures.lost}, denied ${figures.denied}, ` +
      `out of order ${figures.arrivalViolations}; drained in ${figures.drainSeconds} s; cores: ${coresText(cores)}`,
  );
  await drain(cfg);
  return figures;
}
