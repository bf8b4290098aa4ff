// `npm run bench:orders`: measures, on the stack lib/config points at (started if it is not running),
// with the real worker and API in this process and a 0 s verification:
//   0./1. accept latency of POST /orders (p50/p99) one at a time, then at a steady offered load (open loop);
//   2. the delay between a workflow's close time and the long-poll answer GET /orders/:id/result.
// Not a pass/fail test. Usage: npm run bench:orders -- [rate/s] [seconds] [long-poll samples]
import { NativeConnection, Worker } from '@temporalio/worker';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createOrderActivities, createOrderEventProducer } from '../activities/orders';
import { createSimulatedVerifier, type Verifier } from '../activities/verifier';
import { createApp } from '../api/app';
import { issueApiKey } from '../lib/auth';
import { config } from '../lib/config';
import { createReadinessCheck } from '../lib/health';
import { createKafka } from '../lib/kafka';
import { latestPriceKey, userKey } from '../lib/keys';
import { createLogger } from '../lib/logger';
import { buyOrderWorkflowId, ORDERS_TASK_QUEUE } from '../lib/orders';
import { createRedis } from '../lib/redis';
import { createTemporalClient } from '../lib/temporal';
import { stackSpecFromConfig, startStack } from './local-stack';

const [rate = 20, seconds = 20, samples = 30] = process.argv.slice(2).map(Number);
const STOCK = '44891482026867833';
const say = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `n=${s.length} p50=${percentile(s, 50).toFixed(1)} ms p99=${percentile(s, 99).toFixed(1)} ms max=${s[s.length - 1]?.toFixed(1)} ms`;
};

async function main(): Promise<void> {
  const cfg = config();
  await startStack(stackSpecFromConfig(cfg), (m) => say(`stack: ${m}`));
  const log = createLogger('bench', 'error');
  const redis = createRedis(cfg);
  const kafka = createKafka(cfg);
  const producer = createOrderEventProducer(kafka);
  await producer.connect();

  // A simulated verifier whose delay the bench sets per phase.
  let delayMs = 0;
  const verifier: Verifier = {
    kind: 'simulated',
    verify: (req, signal) => createSimulatedVerifier(delayMs, delayMs).verify(req, signal),
  };
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: ORDERS_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createOrderActivities({ redis, producer, verifier, log }),
    maxConcurrentActivityTaskExecutions: cfg.WORKER_MAX_CONCURRENT_ACTIVITIES,
  });
  const running = worker.run();

  const temporal = createTemporalClient(cfg);
  const apiRedis = createRedis(cfg, { failFast: true });
  const app = createApp({
    // The benchmark measures the order path, not the per-key rate limit.
    cfg: { ...cfg, RATE_LIMIT_REQUESTS: Number.MAX_SAFE_INTEGER },
    log,
    redis: apiRedis,
    kafka,
    temporal,
    readiness: createReadinessCheck(cfg, { kafka, redis: apiRedis }),
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const user = `bench-${Date.now()}`;
  await redis.hset(userKey(user), { credit: String(Number.MAX_SAFE_INTEGER), reserved: '0' });
  const auth = { Authorization: `Bearer ${await issueApiKey(redis, { id: user, role: 'user' })}` };
  await redis.set(
    latestPriceKey(STOCK),
    JSON.stringify({
      stockId: STOCK,
      minute: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(),
      price: 2850,
      last: 2850,
      open: 2850,
      low: 2850,
      high: 2850,
      yesterday: 2850,
      trades: 1,
      volume: 1,
      value: 2850,
      source: 'simulated',
      fetchedAt: new Date().toISOString(),
    }),
  );
  const post = async () => {
    const started = performance.now();
    const res = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: `{"user":"${user}","stockid":${STOCK},"quantity":1}`,
    });
    const body = (await res.json()) as { orderId: string; status: string };
    return { ms: performance.now() - started, status: res.status, body };
  };

  // Warm-up: the first workflow tasks pay for sandbox start and connection set-up.
  for (let i = 0; i < 10; i++) await post();

  // 0. Unloaded: one request at a time (no queueing anywhere).
  const sequential: number[] = [];
  for (let i = 0; i < 50; i++) sequential.push((await post()).ms);
  say(`accept latency, one at a time: ${summary(sequential)}`);

  // 1. Accept latency at a steady offered load (open loop: requests leave on schedule regardless).
  say(`POST /orders at ${rate}/s for ${seconds} s (verification delay 0)`);
  const total = rate * seconds;
  const started = performance.now();
  const inflight: Promise<{ ms: number; status: number }>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(post());
  }
  const results = await Promise.all(inflight);
  const ok = results.filter((r) => r.status === 201);
  say(`accept latency: ${summary(ok.map((r) => r.ms))}; non-201: ${results.length - ok.length}`);

  // 2. Long-poll delay: park on the result before the (1 s) verification ends, then compare the
  // answer's arrival with the workflow's close time recorded by the server (same host, same clock).
  delayMs = 1_000;
  const lags: number[] = [];
  for (let i = 0; i < samples; i++) {
    const { body } = await post();
    const res = await fetch(`${url}/orders/${body.orderId}/result?wait=30`, { headers: auth });
    const answeredAt = Date.now();
    const final = (await res.json()) as { final: boolean };
    const desc = await temporal.workflow.getHandle(buyOrderWorkflowId(body.orderId)).describe();
    if (!final.final || !desc.closeTime) throw new Error(`order ${body.orderId} did not finish`);
    lags.push(answeredAt - desc.closeTime.getTime());
  }
  say(`workflow close → long-poll answer: ${summary(lags)}`);

  server.closeAllConnections();
  server.close();
  worker.shutdown();
  await running;
  await Promise.all([producer.disconnect(), connection.close(), temporal.connection.close()]);
  redis.disconnect();
  apiRedis.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
