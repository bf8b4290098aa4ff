// The chaos run's clients: each places its order (a buy, or a sell of shares its user holds; a market
// order, or a limit order that waits for its price) like a
// careful client (the same Idempotency-Key until it has an answer, sometimes sent twice; again after a
// 429 or a 409 no_fresh_price, which say "later"), sometimes withdraws it while it is open, and then
// long-polls for the order's final status. They reach the APIs through a Balancer, which
// spreads requests over every API and fails over between them as a load balancer would, and counts
// how many order requests were answered.
import { statusText, type OrderSide } from '../../lib/contracts/orders';
import { SAIPA } from '../../test/support/accounts';
import { http, type HttpAnswer } from '../../test/support/http';
import { sleep } from '../wait';

export interface LogicalOrder {
  user: string;
  key: string;
  side: OrderSide;
  quantity: number;
  orderId?: string;
  firstStatus?: string;
  finalStatus?: string;
  /** The final answer's reason, if it gave one. */
  finalReason?: string;
  attempts: number;
  /** Answers with a different order id for the same Idempotency-Key (must stay 0). */
  idDrift: number;
  refused?: string;
  /** A cancel the client sends this long after the order was accepted open (none if it was decided at once). */
  cancel?: PlannedCancel;
  /** A limit order's price (gtc); absent for a market order. */
  limitPrice?: number;
}

export interface PlannedCancel {
  afterMs: number;
  attempts: number;
  /** How the cancel was answered: "canceled" (200), "409 order_final", …; absent while none answered. */
  answer?: string;
}

interface OrderAnswer {
  orderId?: string;
  status?: string;
  final?: boolean;
  reason?: string;
  error?: string;
}

/** "503 unavailable: the credit store is unavailable: …", numbers and ids blurred so answers group. */
const answerOf = (res: HttpAnswer<OrderAnswer>) => {
  const body = res.body as OrderAnswer & { message?: string };
  const message = (body?.message ?? '').replace(/[0-9a-f-]{8,}|\d+/g, '#').slice(0, 70);
  return `${res.status} ${body?.error ?? ''}${message ? `: ${message}` : ''}`;
};

/** One request; undefined when the API was down or cut the connection (the client retries). */
const request = (url: string, init: RequestInit & { json?: unknown }, timeoutMs: number) =>
  http<OrderAnswer>(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch(
    (): HttpAnswer<OrderAnswer> | undefined => undefined,
  );

/** How the order requests that went through a Balancer were answered. */
export interface OrderAvailability {
  /** POST /orders requests passed on (each client attempt, after any failover). */
  requests: number;
  /** Answered with the credit check's result: 201 (accepted or denied) or a 4xx about the order itself. */
  answered: number;
  /** Answered "later" (429, 408, 409 no_fresh_price): the API was up but did not answer the order yet. */
  later: number;
  /** No API answered: every one refused the connection, timed out or said 503 (or another 5xx). */
  unanswered: number;
  /** Requests passed on to another API after the first one failed. */
  failovers: number;
}

/** An order request no API answered, with what the chaos run had down while it was made. */
export interface Unanswered {
  /** When it was made (ms since the epoch). */
  at: number;
  /** The last answer ("503 order_not_started") or "no answer" (refused, cut, timed out). */
  answer: string;
  /** The copies and nodes down (killed and not yet back) at its start or end. */
  down: string[];
}

const emptyAvailability = (): OrderAvailability => ({
  requests: 0,
  answered: 0,
  later: 0,
  unanswered: 0,
  failovers: 0,
});

/**
 * Answers that say "try again": 429, a price gone stale (409 no_fresh_price), and 408 (the API gave up
 * on the request, e.g. its body read on an overloaded host: the order may exist, the same key finds it).
 */
const isLater = (res: HttpAnswer<OrderAnswer> | undefined) =>
  res?.status === 429 || res?.status === 408 || (res?.status === 409 && res.body.error === 'no_fresh_price');

/**
 * A load balancer in front of the APIs: each request goes to the next API in turn; one whose connection
 * is refused, cut or timed out, or that answers 503, is passed on to the next API with the same headers
 * (so the same Idempotency-Key: a retry never makes a second order). With one API there is nowhere to go.
 */
export class Balancer {
  readonly orders: OrderAvailability = emptyAvailability();
  /** The order requests that began and ended with no sole process down (see `soleMark`). */
  readonly ordersTwinned: OrderAvailability = emptyAvailability();
  /** Every order request counted unanswered, for the report's attribution. */
  readonly misses: Unanswered[] = [];
  /** Every answer the APIs gave (any path), and those that were a 5xx other than 503: each a bug. */
  answers = 0;
  readonly serverErrors: string[] = [];
  private turn = 0;

  /**
   * `soleMark` says whether a process without a twin (the Temporal server) is down: undefined while
   * one is, else how many such outages have begun; a request whose mark is the same at its start and
   * end saw none. `downNow` names the copies and nodes down at the moment (for `misses`).
   */
  constructor(
    readonly bases: readonly string[],
    private readonly soleMark: () => number | undefined = () => 0,
    private readonly downNow: () => readonly string[] = () => [],
  ) {}

  async request(
    path: string,
    init: RequestInit & { json?: unknown },
    timeoutMs: number,
  ): Promise<HttpAnswer<OrderAnswer> | undefined> {
    const first = this.turn++ % this.bases.length;
    let res: HttpAnswer<OrderAnswer> | undefined;
    for (let i = 0; i < this.bases.length; i++) {
      if (i > 0 && path === '/orders') this.orders.failovers++;
      res = await request(`${this.bases[(first + i) % this.bases.length]}${path}`, init, timeoutMs);
      if (res) this.answers++;
      if (res && res.status >= 500 && res.status !== 503) {
        this.serverErrors.push(`${init.method ?? (init.json ? 'POST' : 'GET')} ${path}: ${answerOf(res)}`);
      }
      if (res && res.status !== 503) break;
    }
    return res;
  }

  /** POST /orders through the balancer, counted. */
  async order(init: RequestInit & { json?: unknown }): Promise<HttpAnswer<OrderAnswer> | undefined> {
    const mark = this.soleMark();
    const at = Date.now();
    const downAtStart = this.downNow();
    const res = await this.request('/orders', init, 15_000);
    const twinned = mark !== undefined && mark === this.soleMark();
    if (!isLater(res) && !(res && res.status < 500)) {
      this.misses.push({
        at,
        answer: res ? answerOf(res) : 'no answer',
        down: [...new Set([...downAtStart, ...this.downNow()])].sort(),
      });
    }
    for (const a of twinned ? [this.orders, this.ordersTwinned] : [this.orders]) {
      a.requests++;
      if (isLater(res)) a.later++;
      else if (res && res.status < 500) a.answered++;
      else a.unanswered++;
    }
    return res;
  }
}

/** The POST /orders of a logical order: the same body and Idempotency-Key on every attempt. */
const orderInit = (apiKey: string, o: LogicalOrder) => ({
  headers: { Authorization: `Bearer ${apiKey}`, 'Idempotency-Key': o.key },
  json: {
    user: o.user,
    stockid: SAIPA,
    quantity: o.quantity,
    ...(o.side === 'sell' ? { side: 'sell' } : {}),
    ...(o.limitPrice ? { type: 'limit', limitPrice: o.limitPrice, timeInForce: 'gtc' } : {}),
  },
});

/** Places one order; with `duplicate`, sends it once more after the answer (the same order, never two). */
export async function placeOrder(
  lb: Balancer,
  apiKey: string,
  o: LogicalOrder,
  stopAt: () => number,
  duplicate: boolean,
): Promise<void> {
  const init = orderInit(apiKey, o);
  for (;;) {
    o.attempts++;
    const res = await lb.order(init);
    // 201: checked; 202: recorded on the burst intake, checked at its turn.
    if (res && (res.status === 201 || res.status === 202)) {
      if (o.orderId && o.orderId !== res.body.orderId) o.idDrift++;
      o.orderId = res.body.orderId;
      o.firstStatus = res.body.status;
      break;
    }
    // 429 and a price gone stale (outages delay the next minute's tick) pass: the client tries again.
    if (res && res.status >= 400 && res.status < 500 && !isLater(res)) {
      o.refused = `${res.status} ${res.body.error}`;
      return;
    }
    if (Date.now() > stopAt()) return;
    await sleep(500);
  }
  // A client that did not see the first answer and sends it again.
  while (duplicate) {
    const res = await lb.order(init);
    if (res && (res.status === 201 || res.status === 202)) {
      if (res.body.orderId !== o.orderId) o.idDrift++;
      return;
    }
    if (Date.now() > stopAt()) return;
    await sleep(500);
  }
}

/**
 * Withdraws an order accepted open, `o.cancel.afterMs` after its acceptance: POST /orders/:id/cancel
 * again until an API answers it (a 503 or no connection says "later"; a second cancel answers as the
 * first). An order decided at once (denied) is left alone: it was never open; a limit order waiting
 * for its price is open, and so is one queued on the burst intake (202) or answered Pending (started,
 * not yet checked): canceled on the intake if it is still waiting for its turn, by its workflow if it
 * has started, `409 order_final` if decided.
 */
export async function cancelOpenOrder(
  lb: Balancer,
  apiKey: string,
  o: LogicalOrder,
  stopAt: () => number,
): Promise<void> {
  const c = o.cancel;
  // Undecided at its answer: in progress, open, queued, or started but not yet checked (a retry's
  // answer read from the workflow's description before its first task ran).
  const open = (['inProgress', 'open', 'queued', 'pending'] as const).map((p) => statusText(p, o.side));
  if (!c || !o.orderId || !open.includes(o.firstStatus ?? '')) return;
  await sleep(c.afterMs);
  for (;;) {
    c.attempts++;
    const res = await lb.request(
      `/orders/${o.orderId}/cancel`,
      { method: 'POST', headers: { Authorization: `Bearer ${apiKey}` } },
      30_000,
    );
    if (res && res.status < 500 && !isLater(res)) {
      c.answer = res.status === 200 ? 'canceled' : `${res.status} ${res.body.error ?? ''}`.trim();
      return;
    }
    if (Date.now() > stopAt()) return;
    await sleep(500);
  }
}

export async function awaitFinal(
  lb: Balancer,
  apiKey: string,
  o: LogicalOrder,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    const res = await lb.request(
      `/orders/${o.orderId}/result?wait=30`,
      { headers: { Authorization: `Bearer ${apiKey}` } },
      45_000,
    );
    if (res?.status === 200 && res.body.final) {
      o.finalStatus = res.body.status;
      o.finalReason = res.body.reason;
      return;
    }
    // A queued order refused at its turn (its long poll answers the refusal): a price gone stale in an
    // outage is "later", so the client sends the order again (the same key: a fresh attempt, the same
    // id); any other refusal means no order, as a refused POST.
    if (res && isLater(res) && res.status === 409) {
      await lb.order(orderInit(apiKey, o));
      await sleep(1_000);
      continue;
    }
    if (res && res.status >= 400 && res.status < 500 && res.status !== 404 && !isLater(res)) {
      o.refused = `${res.status} ${res.body.error}`;
      o.orderId = undefined;
      return;
    }
    if (!res || res.status >= 500) await sleep(1_000);
  }
}
