// What the order tests share: a real orders worker in-process, a scripted verifier over HTTP, users and
// prices put straight into Redis, and a reader of Kafka `order-events`.
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Consumer } from 'kafkajs';
import { createOrderActivities } from '../../activities/orders';
import { connectKafkaSender, type KafkaSender } from '../../lib/infra/kafka-sender';
import { createHttpVerifier, type Verifier } from '../../activities/verifier';
import type { Config } from '../../lib/infra/config';
import { issueApiKey } from '../../lib/store/api-keys';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { latestPriceKey, userKey } from '../../lib/store/keys';
import { createLogger } from '../../lib/infra/logger';
import { type OrderEvent } from '../../lib/contracts/orders';
import { TASK_QUEUES } from '../../lib/contracts/task-queues';
import { flatTick } from '../../lib/contracts/price-tick';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { testConfig } from './test-stack';

export const SAIPA = '44891482026867833';

/** A unique user id with a behaviour prefix the scripted verifier understands. */
export const newUser = (prefix: 'ok' | 'no' | 'slow' | 'stall' | 'val' | 'idem' | 'conc' | 'out' | 'rule') =>
  `${prefix}-${randomUUID().slice(0, 8)}`;

const apiKeys = new Map<string, string>();

/** A user with this credit, and an API key for it (remembered: see authOf). Returns the key. */
export async function putUser(redis: Redis, user: string, credit: number): Promise<string> {
  await redis.hset(userKey(user), { credit: String(credit), reserved: '0' });
  return keyFor(redis, user);
}

/** An API key for a user (one per user per test process), whether or not the user exists. */
export async function keyFor(redis: Redis, user: string): Promise<string> {
  let key = apiKeys.get(user);
  if (!key) {
    key = await issueApiKey(redis, { id: user, role: 'user' });
    apiKeys.set(user, key);
  }
  return key;
}

/** An operator key (one per test process). */
export async function operatorKey(redis: Redis): Promise<string> {
  let key = apiKeys.get('\0operator');
  if (!key) {
    key = await issueApiKey(redis, { id: `test-operator-${randomUUID().slice(0, 8)}`, role: 'operator' });
    apiKeys.set('\0operator', key);
  }
  return key;
}

/** The Authorization header of a user made by putUser/keyFor. */
export function authOf(user: string): Record<string, string> {
  const key = apiKeys.get(user);
  if (!key) throw new Error(`no API key made for ${user} in this test process`);
  return { Authorization: `Bearer ${key}` };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Records `price` as the stock's latest tick, for the current minute (or the minute of `at`). */
export async function putPrice(redis: Redis, stockId: string, price: number, at = new Date()): Promise<void> {
  await redis.set(latestPriceKey(stockId), JSON.stringify(flatTick(stockId, price, at)));
}

export async function userMoney(redis: Redis, user: string): Promise<{ credit: number; reserved: number }> {
  const h = await redis.hgetall(userKey(user));
  return { credit: Number(h.credit), reserved: Number(h.reserved) };
}

/**
 * A verifier that answers by the user's prefix: `no-*` no, `slow-*` yes after SLOW_MS, `stall-*` never
 * (and records when the caller hangs up), anything else yes at once.
 */
export const SLOW_MS = 1_500;
export interface ScriptedVerifier {
  url: string;
  /** Order id → ms from request to the caller aborting it, for stalled calls. */
  aborted: Map<string, number>;
  requests: string[];
  close(): Promise<void>;
}

export async function startScriptedVerifier(): Promise<ScriptedVerifier> {
  const aborted = new Map<string, number>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { orderId, user } = JSON.parse(Buffer.concat(chunks).toString()) as {
        orderId: string;
        user: string;
      };
      requests.push(orderId);
      const answer = (verified: boolean) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ verified }));
      };
      if (user.startsWith('no-')) answer(false);
      else if (user.startsWith('slow-')) setTimeout(() => answer(true), SLOW_MS);
      else if (user.startsWith('stall-')) {
        const started = Date.now();
        res.on('close', () => aborted.set(orderId, Date.now() - started));
      } else answer(true);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`,
    aborted,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export interface OrderWorker {
  redis: Redis;
  sender: KafkaSender;
  stop(): Promise<void>;
}

/** The real orders worker (workflows/ bundle + real activities) on the test stack. */
export async function startOrderWorker(verifier: Verifier, cfg: Config = testConfig()): Promise<OrderWorker> {
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const redis = createRedis(cfg);
  const sender = await connectKafkaSender(createKafka(cfg));
  const worker = await Worker.create({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: TASK_QUEUES.orders,
    workflowsPath: require.resolve('../../workflows'),
    activities: createOrderActivities({
      redis,
      sender,
      verifier,
      log: createLogger('worker-test', 'error'),
    }),
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  return {
    redis,
    sender,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await sender.close();
      redis.disconnect();
    },
  };
}

export const httpVerifier = (url: string) => createHttpVerifier(url);

/** Collects every `order-events` message from now on, by order id. */
export async function watchOrderEvents(cfg: Config = testConfig()): Promise<{
  events: Map<string, OrderEvent[]>;
  stop(): Promise<void>;
}> {
  const consumer: Consumer = createKafka(cfg).consumer({ groupId: `test-order-events-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.orderEvents, fromBeginning: true });
  const events = new Map<string, OrderEvent[]>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = JSON.parse(String(message.value)) as OrderEvent;
      events.set(e.orderId, [...(events.get(e.orderId) ?? []), e]);
    },
  });
  return { events, stop: () => consumer.disconnect() };
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  ms: number;
}

export async function http<T = Record<string, unknown>>(
  url: string,
  init: RequestInit & { json?: unknown; raw?: string } = {},
): Promise<HttpAnswer<T>> {
  const { json, raw, ...rest } = init;
  const headers = new Headers(rest.headers);
  let body = rest.body;
  if (json !== undefined || raw !== undefined) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    body = raw ?? JSON.stringify(json);
  }
  const started = performance.now();
  const res = await fetch(url, { ...rest, headers, body, method: rest.method ?? (body ? 'POST' : 'GET') });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : {}) as T,
    headers: res.headers,
    ms: performance.now() - started,
  };
}

/** Counts buyOrder workflows matching a visibility query (the Web UI's own search). */
export async function countOrders(temporal: Client, query: string): Promise<number> {
  const { count } = await temporal.workflow.count(`WorkflowType = "buyOrder" AND ${query}`);
  return count;
}
