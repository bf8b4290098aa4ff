// The chaos run's clients: each places its order like a careful client (the same Idempotency-Key until
// it has an answer, sometimes sent twice; again after a 429 or a 409 no_fresh_price, which say "later")
// and then long-polls for the order's final status.
import { SAIPA } from '../../test/support/accounts';
import { http, type HttpAnswer } from '../../test/support/http';
import { sleep } from '../../test/support/wait';

export interface LogicalOrder {
  user: string;
  key: string;
  quantity: number;
  orderId?: string;
  firstStatus?: string;
  finalStatus?: string;
  attempts: number;
  /** Answers with a different order id for the same Idempotency-Key (must stay 0). */
  idDrift: number;
  refused?: string;
}

interface OrderAnswer {
  orderId?: string;
  status?: string;
  final?: boolean;
  error?: string;
}

/** One request; undefined when the API was down or cut the connection (the client retries). */
const request = (url: string, init: RequestInit & { json?: unknown }, timeoutMs: number) =>
  http<OrderAnswer>(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch(
    (): HttpAnswer<OrderAnswer> | undefined => undefined,
  );

/** Places one order; with `duplicate`, sends it once more after the answer (the same order, never two). */
export async function placeOrder(
  base: string,
  apiKey: string,
  o: LogicalOrder,
  stopAt: () => number,
  duplicate: boolean,
): Promise<void> {
  const init = {
    headers: { Authorization: `Bearer ${apiKey}`, 'Idempotency-Key': o.key },
    json: { user: o.user, stockid: SAIPA, quantity: o.quantity },
  };
  for (;;) {
    o.attempts++;
    const res = await request(`${base}/orders`, init, 15_000);
    if (res && res.status === 201) {
      if (o.orderId && o.orderId !== res.body.orderId) o.idDrift++;
      o.orderId = res.body.orderId;
      o.firstStatus = res.body.status;
      break;
    }
    // 429 and a price gone stale (outages delay the next minute's tick) pass: the client tries again.
    const later = res?.status === 429 || (res?.status === 409 && res.body.error === 'no_fresh_price');
    if (res && res.status >= 400 && res.status < 500 && !later) {
      o.refused = `${res.status} ${res.body.error}`;
      return;
    }
    if (Date.now() > stopAt()) return;
    await sleep(500);
  }
  // A client that did not see the first answer and sends it again.
  while (duplicate) {
    const res = await request(`${base}/orders`, init, 15_000);
    if (res && res.status === 201) {
      if (res.body.orderId !== o.orderId) o.idDrift++;
      return;
    }
    if (Date.now() > stopAt()) return;
    await sleep(500);
  }
}

export async function awaitFinal(
  base: string,
  apiKey: string,
  o: LogicalOrder,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    const res = await request(
      `${base}/orders/${o.orderId}/result?wait=30`,
      { headers: { Authorization: `Bearer ${apiKey}` } },
      45_000,
    );
    if (res?.status === 200 && res.body.final) {
      o.finalStatus = res.body.status;
      return;
    }
    if (!res || res.status >= 500) await sleep(1_000);
  }
}
