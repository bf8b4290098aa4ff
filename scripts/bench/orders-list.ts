// The bench's order-list scenario: a user with 10,000 orders in the read model, filled for real
// (synthetic OrderEvent messages published to Kafka `order-events`, stored by the order-events consumer
// process), then GET /orders latency for the usual reads at a few concurrencies.
import type { Config } from '../../lib/infra/config';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { createRedis } from '../../lib/infra/redis';
import { countOrders } from '../../lib/store/order-list';
import { syntheticOrderEvent } from '../../test/support/order-events';
import { waitFor } from '../wait';
import { benchKeys, fmt, say, stats, type Stats } from './bench-lib';
import { BENCH_ENV } from './options';
import { newUser } from './order-load';

export const LIST_ORDERS = 10_000;
const REQUESTS = 500;
const CONCURRENCIES = [1, 4, 16];
const API_URL = `http://127.0.0.1:${BENCH_ENV.API_PORT}`;

type Page = { orders: { phase: string }[]; nextCursor?: string };

/** Publishes the user's 10,000 orders and waits until the consumer has stored every one. */
async function fill(cfg: Config, user: string) {
  const started = Date.now();
  const producer = createKafka(cfg).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < LIST_ORDERS; i += 1_000) {
      const events = Array.from({ length: Math.min(1_000, LIST_ORDERS - i) }, (_, k) =>
        syntheticOrderEvent(user, i + k),
      );
      await producer.send({
        topic: TOPICS.orderEvents,
        messages: events.map((e) => ({ key: e.orderId, value: JSON.stringify(e) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  const published = Date.now();
  const redis = createRedis(cfg);
  try {
    await waitFor(
      'the read model to hold 10,000 orders',
      async () => (await countOrders(redis, user)) >= LIST_ORDERS,
      120_000,
      100,
    );
  } finally {
    redis.disconnect();
  }
  return { publishSeconds: (published - started) / 1000, storedSeconds: (Date.now() - started) / 1000 };
}

export async function ordersList(cfg: Config) {
  const user = await newUser(cfg, 'list');
  const headers = { authorization: `Bearer ${benchKeys.get(user)}` };
  const get = async (query: string) => {
    const t = performance.now();
    const res = await fetch(`${API_URL}/orders${query}`, { headers });
    const body = (await res.json()) as Page;
    if (res.status !== 200) throw new Error(`GET /orders${query} answered ${res.status}`);
    return { ms: performance.now() - t, body };
  };
  const filled = await fill(cfg, user);
  say(
    `orders-list: ${LIST_ORDERS} orders published in ${filled.publishSeconds} s, stored after ${filled.storedSeconds} s`,
  );
  // A cursor 5,000 orders deep: 50 pages of 100.
  let deep = '';
  for (let i = 0; i < 50; i++)
    deep = (await get(`?limit=100${deep ? `&cursor=${deep}` : ''}`)).body.nextCursor!;
  const cases: Record<string, string> = {
    firstPage: '?limit=20',
    deepPage: `?limit=20&cursor=${deep}`,
    statusSucceeded: '?status=succeeded',
  };
  for (const q of Object.values(cases)) await get(q); // warm-up
  const latency: Record<string, Record<string, Stats>> = {};
  for (const [name, q] of Object.entries(cases)) {
    for (const c of CONCURRENCIES) {
      const ms: number[] = [];
      let left = REQUESTS;
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (left-- > 0) {
            const r = await get(q);
            if (r.body.orders.length !== 20)
              throw new Error(`GET /orders${q}: ${r.body.orders.length} orders`);
            ms.push(r.ms);
          }
        }),
      );
      (latency[name] ??= {})[`c${c}`] = stats(ms);
      say(`orders-list ${name} × ${c} at once: ${fmt(stats(ms))}`);
    }
  }
  return { orders: LIST_ORDERS, ...filled, requestsPerCase: REQUESTS, latencyMs: latency };
}
