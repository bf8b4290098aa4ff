// One chaos run: on a stack of its own (its own ports and folder), while orders are placed at a steady
// rate, SIGKILL and restart at random moments each process kind — API, worker, price consumer,
// order-events consumer, Kafka, Redis, the Temporal server — then let the system settle and check the
// invariants.
// The seed fixes every random choice (which process, when, how long it stays down, the orders placed),
// so a failing run can be replayed.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/infra/config';
import { createRedis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { putAccount, putPrice, SAIPA } from '../../test/support/accounts';
import { startHashedVerifier } from '../../test/support/verifiers';
import { sleep, waitFor } from '../../test/support/wait';
import type { AppProcess } from '../stack/app-processes';
import {
  stackEnv,
  stackSpecFromConfig,
  startService,
  startStack,
  stopService,
  stopStack,
} from '../stack/local-stack';
import type { ServiceName } from '../stack/spec';
import { ChaosApps } from './apps';
import { awaitFinal, placeOrder, type LogicalOrder } from './clients';
import { checkOrderInvariants } from './invariants';
import { checkOrderListing } from './list-invariant';
import { checkPrices, minutesRan, scheduleCreatedAt, settlePrices } from './price-invariant';
import type { ChaosReport, Kind } from './report';

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  portOffset: number;
  /** New orders per second. */
  rate: number;
  users: number;
  /** How long to wait, after the load stops, for every order to reach its final status. */
  settleMs: number;
  /**
   * Instead of random kinds for durationMs: each kind killed exactly once, in a seeded order, with the
   * load running until the last one is back and at least one minute of the price schedule has run
   * (the short run in npm test: every kind, whatever the speed).
   */
  killEachOnce?: boolean;
  /** The stack's Temporal (TEMPORAL_PERSISTENCE); the environment's when absent. */
  temporal?: 'sqlite' | 'postgres';
  log: (line: string) => void;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function chaosEnv(portOffset: number): Record<string, string> {
  return {
    ...stackEnv(portOffset, `.stack/chaos-${portOffset}`),
    // The ops ports too, beside the stack's: a chaos run never takes the local stack's 9101–9104.
    WORKER_OPS_PORT: String(19_101 + portOffset),
    WORKER_TEMPORAL_METRICS_PORT: String(19_102 + portOffset),
    CONSUMER_OPS_PORT: String(19_103 + portOffset),
    ORDER_EVENTS_CONSUMER_OPS_PORT: String(19_104 + portOffset),
    LOG_LEVEL: 'info',
    RATE_LIMIT_REQUESTS: '1000000',
    ORDER_START_TIMEOUT: '5s',
    SHUTDOWN_GRACE: '10s',
  };
}

const PROCESS_KINDS: readonly AppProcess[] = ['api', 'worker', 'consumer', 'order-events-consumer'];
const SERVICE_KINDS: readonly ServiceName[] = ['kafka', 'redis', 'temporal'];
const MINUTE = 60_000;

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const { log } = opts;
  const rng = seededRandom(opts.seed);
  const env = { ...(process.env as Record<string, string>), ...chaosEnv(opts.portOffset) };
  if (opts.temporal) env.TEMPORAL_PERSISTENCE = opts.temporal;
  const verifier = await startHashedVerifier();
  env.VERIFIER_URL = verifier.url;
  const cfg = loadConfig(env);
  const spec = stackSpecFromConfig(cfg);
  rmSync(spec.dir, { recursive: true, force: true });
  const logDir = join(spec.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  log(
    `seed ${opts.seed}, ${opts.durationMs / 1000} s, stack ${spec.dir}, Temporal on ${spec.temporalPersistence}`,
  );
  const stackLog = (m: string) => log(`[stack] ${m}`);
  await startStack(spec, stackLog);

  const redis = createRedis(cfg);
  const initialCredit = new Map<string, number>();
  const keys = new Map<string, string>();
  for (let i = 0; i < opts.users; i++) {
    const user = `chaos-u${i}`;
    const credit = 2_000_000 + i * 500_000;
    keys.set(user, await putAccount(redis, user, credit));
    initialCredit.set(user, credit);
  }
  await putPrice(redis, SAIPA, 2_850);

  const apps = new ChaosApps(env, logDir, log);
  const base = `http://127.0.0.1:${cfg.API_PORT}`;
  const apiUp = () => waitFor('the API', async () => (await fetch(`${base}/healthz`)).ok, 120_000);
  for (const kind of PROCESS_KINDS) apps.start(kind);
  await apiUp();
  // The price schedule's minutes count from its creation by the worker (a fresh stack: this run's).
  const temporal = createTemporalClient(cfg);
  const pricesFrom = await scheduleCreatedAt(temporal, cfg.PRICE_SCHEDULE_ID).finally(() =>
    temporal.connection.close(),
  );

  const kills = Object.fromEntries([...PROCESS_KINDS, ...SERVICE_KINDS].map((k) => [k, 0])) as Record<
    Kind,
    number
  >;
  const orders: LogicalOrder[] = [];
  const placing: Promise<void>[] = [];
  let loadEndsAt = opts.killEachOnce ? Number.POSITIVE_INFINITY : Date.now() + opts.durationMs;
  // Clients keep retrying a little past the load's end, through the last restart.
  let giveUpAt = Number.POSITIVE_INFINITY;
  const users = [...initialCredit.keys()];

  const load = (async () => {
    let n = 0;
    while (Date.now() < loadEndsAt) {
      const user = users[Math.floor(rng() * users.length)]!;
      const o: LogicalOrder = {
        user,
        key: `chaos-${opts.seed}-${n++}`,
        quantity: 1 + Math.floor(rng() * 40),
        attempts: 0,
        idDrift: 0,
      };
      orders.push(o);
      placing.push(placeOrder(base, keys.get(user)!, o, () => giveUpAt, rng() < 0.2));
      await sleep(1_000 / opts.rate);
    }
  })();

  const chaos = (async () => {
    const kinds: Kind[] = [...PROCESS_KINDS, ...SERVICE_KINDS];
    await sleep(2_000 + rng() * 3_000);
    // A seeded shuffle, for killEachOnce.
    const order = [...kinds];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    while (opts.killEachOnce ? order.length > 0 : Date.now() < loadEndsAt - 5_000) {
      const kind = opts.killEachOnce ? order.shift()! : kinds[Math.floor(rng() * kinds.length)]!;
      const downMs = Math.floor(rng() * 3_000);
      log(`SIGKILL ${kind}, down ${downMs} ms`);
      if ((PROCESS_KINDS as readonly string[]).includes(kind)) {
        await apps.kill(kind as AppProcess);
        await sleep(downMs);
        apps.start(kind as AppProcess);
        if (kind === 'api') await apiUp();
      } else {
        await stopService(spec, kind as ServiceName, () => undefined, 'SIGKILL');
        await sleep(downMs);
        await startService(spec, kind as ServiceName, stackLog);
      }
      kills[kind]++;
      await sleep(opts.killEachOnce ? 1_000 + rng() * 2_000 : 2_000 + rng() * 8_000);
    }
    if (opts.killEachOnce) {
      // At least one minute of the price schedule inside the load, so the price invariant checks one.
      const firstMinute = Math.ceil(pricesFrom / MINUTE) * MINUTE;
      await sleep(Math.max(0, firstMinute + 2_000 - Date.now()));
      loadEndsAt = Date.now();
    }
  })();

  await Promise.all([load, chaos]);
  const loadEndedAt = Date.now();
  log(`load and kills over: ${orders.length} orders placed; settling`);
  giveUpAt = Date.now() + opts.settleMs;
  await apiUp();
  await Promise.all(placing);
  const deadline = Date.now() + opts.settleMs;
  await Promise.all(
    orders.filter((o) => o.orderId).map((o) => awaitFinal(base, keys.get(o.user)!, o, deadline)),
  );
  // Every minute the schedule fired while the load ran; outages delay some (the catch-up records them).
  const minutes = minutesRan(pricesFrom, loadEndedAt);
  await settlePrices(redis, cfg.STOCKS, minutes, Date.now() + opts.settleMs);
  const invariants = [
    ...(await checkOrderInvariants(cfg, redis, orders, initialCredit)),
    await checkPrices(redis, cfg.STOCKS, minutes),
    // The order-events consumer was killed too: a minute at most to catch up with the last events.
    await checkOrderListing(base, keys, orders, Date.now() + 60_000),
  ];

  await apps.stopAll();
  redis.disconnect();
  await verifier.close();
  await stopStack(spec, () => undefined);

  const byFinal: Record<string, number> = {};
  for (const o of orders) {
    const k = o.finalStatus ?? 'none';
    byFinal[k] = (byFinal[k] ?? 0) + 1;
  }
  return {
    seed: opts.seed,
    kills,
    selfExits: apps.selfExits,
    orders: {
      placed: orders.length,
      accepted: orders.filter((o) => o.orderId).length,
      retries: orders.reduce((n, o) => n + Math.max(0, o.attempts - 1), 0),
      duplicates: 0,
      byFinal,
    },
    invariants,
    ok: invariants.every((i) => i.violations.length === 0),
  };
}
