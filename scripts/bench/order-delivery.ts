// The bench's result-delivery scenarios: the delay from a buyOrder workflow's close (its close time in
// Temporal) to the moment a client has the final status — by long poll (`delivery`), and by
// Server-Sent Events with the long poll measured alongside (`sse`).
import type { Config } from '../../lib/infra/config';
import { buyOrderWorkflowId } from '../../lib/contracts/orders';
import { createTemporalClient } from '../../lib/infra/temporal';
import { openSse } from '../../test/support/read-side';
import { benchKeys, orderApi, say, fmt, stats, type OrderApi } from './bench-lib';
import { BENCH_ENV, BENCH_STOCK, type BenchOptions } from './options';
import { newUser } from './order-load';

const LANES = 5;
const WARMUP_ORDERS = 20;
const API_URL = `http://127.0.0.1:${BENCH_ENV.API_PORT}`;

/**
 * Called just before an order is placed (so nothing said about it can be missed); the function it
 * returns resolves with when each channel had the order's final status (Date.now()), by channel name.
 */
type Watch = () => (orderId: string) => Promise<Record<string, number>>;

/**
 * `samples` orders, LANES at a time, each placed and then watched by `watch` until final; per
 * channel, the delays arrival − the workflow's close time (same host clock). 20 warm-up orders first.
 */
async function closeLags(cfg: Config, api: OrderApi, user: string, samples: number, watch: Watch) {
  const temporal = createTemporalClient(cfg);
  const lags: Record<string, number[]> = {};
  let errors = 0;
  const one = async (record: boolean) => {
    const arrivals = watch();
    const placed = await api.placeOrder(user, BENCH_STOCK);
    // 202: recorded on the burst intake, checked at its turn; its final status comes the same ways.
    if (placed.status !== 201 && placed.status !== 202) {
      errors += 1;
      return;
    }
    const orderId = placed.body.orderId!;
    const at = await arrivals(orderId);
    // The answer may come before Temporal has recorded the close (the read model's wake-up): wait for it.
    const handle = temporal.workflow.getHandle(buyOrderWorkflowId(orderId));
    await handle.result();
    const desc = await handle.describe();
    if (!desc.closeTime) throw new Error(`order ${orderId} did not finish`);
    if (!record) return;
    for (const [channel, t] of Object.entries(at)) {
      (lags[channel] ??= []).push(t - desc.closeTime.getTime());
    }
  };
  try {
    for (let i = 0; i < WARMUP_ORDERS; i++) await one(false);
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        for (let i = lane; i < samples; i += LANES) await one(true);
      }),
    );
  } finally {
    await temporal.connection.close();
  }
  return { lags, errors };
}

/** The long poll's answer: GET /orders/:id/result?wait=… until the order is final. */
async function longPoll(api: OrderApi, user: string, orderId: string, waitSeconds: number) {
  const answer = await api.result(user, orderId, waitSeconds);
  const at = Date.now();
  if (!answer.body.final) throw new Error(`order ${orderId}: the long poll answered without a final status`);
  return at;
}

export async function delivery(cfg: Config, opts: BenchOptions) {
  const api = orderApi(API_URL);
  const user = await newUser(cfg, 'delivery');
  const { lags, errors } = await closeLags(cfg, api, user, opts.samples, () => async (orderId) => ({
    longPoll: await longPoll(api, user, orderId, 30),
  }));
  return {
    verificationDelay: '200ms',
    concurrentClients: LANES,
    closeToAnswerMs: stats(lags.longPoll ?? []),
    postErrors: errors,
  };
}

/**
 * One SSE client of the user on GET /events while LANES callers place `samples` orders; per order,
 * close → the final `event: order` at the client, and close → the long poll's answer
 * (GET /orders/:id/result?wait=75, parked at the same time).
 */
export async function sseDelivery(cfg: Config, opts: BenchOptions) {
  const api = orderApi(API_URL);
  const user = await newUser(cfg, 'sse');
  const sse = await openSse(API_URL, { authorization: `Bearer ${benchKeys.get(user)}` });
  if (sse.status !== 200) throw new Error(`GET /events answered ${sse.status}`);
  const finalOf = (orderId: string, from: number) =>
    sse.next(
      (e) => e.event === 'order' && e.data.includes(orderId) && isFinalView(e.data, orderId),
      30_000,
      from,
    );
  try {
    const { lags, errors } = await closeLags(cfg, api, user, opts.samples, () => {
      const from = sse.events.length;
      return async (orderId) => {
        const [poll, event] = await Promise.all([longPoll(api, user, orderId, 75), finalOf(orderId, from)]);
        return { sse: event.at, longPoll: poll };
      };
    });
    const figures = {
      verificationDelay: '0–200ms',
      concurrentClients: LANES,
      closeToSseEventMs: stats(lags.sse ?? []),
      closeToLongPollMs: stats(lags.longPoll ?? []),
      postErrors: errors,
    };
    say(`sse: close → event ${fmt(figures.closeToSseEventMs)}; long poll ${fmt(figures.closeToLongPollMs)}`);
    return figures;
  } finally {
    sse.close();
  }
}

function isFinalView(data: string, orderId: string): boolean {
  const view = JSON.parse(data) as { orderId?: string; final?: boolean };
  return view.orderId === orderId && view.final === true;
}
