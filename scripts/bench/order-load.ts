// What the bench's order scenarios share: a bench user (endless credit, a key, SAIPA priced), waiting
// until the API accepts orders, an open-loop load with its figures, and draining the backlog.
import type { Config } from '../../lib/infra/config';
import { createRedis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { queuedOrdersKey } from '../../lib/store/keys';
import { putAccount, putPrice } from '../../test/support/accounts';
import { waitFor } from '../wait';
import { benchKeys, openLoop, say, sleep, stats, type OrderApi, type Stats } from './bench-lib';
import { BENCH_STOCK } from './options';
import { withCpu } from './cpu';

export async function newUser(cfg: Config, tag: string, credit = Number.MAX_SAFE_INTEGER): Promise<string> {
  const redis = createRedis(cfg);
  const user = `bench-${tag}-${Date.now()}`;
  benchKeys.set(user, await putAccount(redis, user, credit));
  await putPrice(redis, BENCH_STOCK, 2850);
  redis.disconnect();
  return user;
}

/**
 * The users the accept scenarios place orders as, taking turns: a user's orders are checked one after
 * another (arrival order, lib/orders/intake.ts), so one user alone would measure that order, not the
 * stack. 20 at the rates measured here: each user ≤ 5 orders/s at 100/s offered.
 */
export async function newUsers(cfg: Config, tag: string, count = 20): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => newUser(cfg, `${tag}${i}`)));
}

/** Until the worker answers: orders during start-up get 503 while no worker polls yet. */
export async function untilAccepting(api: OrderApi, user: string): Promise<void> {
  await waitFor(
    'an accepted order',
    async () => [201, 202].includes((await api.placeOrder(user, BENCH_STOCK)).status),
    90_000,
    500,
  ).catch(() => {
    throw new Error('the order API never accepted an order; see .stack/bench/logs');
  });
}

export interface LoadFigures {
  offeredPerSecond: number;
  seconds: number;
  sent: number;
  ok: number;
  /** Answered 202: recorded on the burst intake, its check to come (neither checked at once nor an error). */
  queued: number;
  errors: number;
  /** Errors by kind: "503 overloaded" (refused, nothing started), "503 unavailable" (timed out), ... */
  errorKinds: Record<string, number>;
  /**
   * Orders taken through their check per second: the 201s over the load's seconds; with a `settle`
   * step (the drain), every answered order (201 and 202: a queued order is checked at its turn) over
   * the load's seconds and the drain's.
   */
  achievedPerSecond: number;
  /** Seconds the settle step (the drain after the load) took, inside the CPU window; 0 without one. */
  settleSeconds: number;
  latencyMs: Stats;
  /** Cores each bench process and service used during the load and its settle step (cpu.ts). */
  cpuCores: Record<string, number>;
}

export async function load(
  api: OrderApi,
  /** One user, or several taking turns (round robin). */
  user: string | readonly string[],
  rate: number,
  seconds: number,
  settle?: () => Promise<void>,
): Promise<LoadFigures & { orderIds: string[] }> {
  const {
    value: { results, elapsedSeconds, settleSeconds },
    cores,
  } = await withCpu(async () => {
    const users = typeof user === 'string' ? [user] : user;
    let turn = 0;
    const offered = await openLoop(rate, seconds, () =>
      api.placeOrder(users[turn++ % users.length], BENCH_STOCK),
    );
    const settling = Date.now();
    if (settle) await settle();
    return { ...offered, settleSeconds: (Date.now() - settling) / 1000 };
  });
  const ok = results.filter((r) => r.value?.status === 201);
  const queued = results.filter((r) => r.value?.status === 202).length;
  const checked = settle ? ok.length + queued : ok.length;
  const errorKinds: Record<string, number> = {};
  for (const r of results) {
    if (r.value?.status === 201 || r.value?.status === 202) continue;
    const kind = r.value ? `${r.value.status} ${r.value.body.error ?? ''}`.trim() : `failed: ${r.error}`;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  }
  return {
    offeredPerSecond: rate,
    seconds,
    sent: results.length,
    ok: ok.length,
    queued,
    errors: results.length - ok.length - queued,
    errorKinds,
    achievedPerSecond: Math.round((checked / (elapsedSeconds + settleSeconds)) * 10) / 10,
    settleSeconds,
    latencyMs: stats(ok.map((r) => r.ms)),
    cpuCores: cores,
    orderIds: ok.map((r) => r.value!.body.orderId!),
  };
}

export const WARMUP_SECONDS = 3;

/**
 * Waits until no bench user has an order on the burst intake and no buyOrder workflow (or
 * `workflowType`) is running, so one phase's backlog (orders still queued, verified or settled) never
 * loads the next phase's measurement. Says how long it took; gives up after 3 minutes.
 */
export async function drain(cfg: Config, workflowType = 'buyOrder'): Promise<void> {
  const temporal = createTemporalClient(cfg);
  const redis = createRedis(cfg);
  const started = Date.now();
  try {
    let left = 0;
    while (Date.now() - started < 180_000) {
      const lens = await Promise.all([...benchKeys.keys()].map((u) => redis.hlen(queuedOrdersKey(u))));
      const queued = lens.reduce((a, b) => a + b, 0);
      const running = (
        await temporal.workflow.count(`WorkflowType = "${workflowType}" AND ExecutionStatus = "Running"`)
      ).count;
      left = queued + running;
      if (left === 0) break;
      await sleep(500);
    }
    if (left > 0) say(`drain: ${left} orders still queued or running after 180 s; measuring anyway`);
    else if (Date.now() - started > 1_000)
      say(`drain: backlog gone after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    redis.disconnect();
    await temporal.connection.close();
  }
}

/** "3 × 503 overloaded, 1 × 503 unavailable", or "" for none. */
export const errorKindsText = (kinds: Record<string, number> = {}) =>
  Object.entries(kinds)
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ');
