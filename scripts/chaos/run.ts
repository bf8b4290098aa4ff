// One chaos run: on a stack of its own (its own ports and folder), while orders (buys, sells of shares
// the users hold, limit orders of both, and cancels of some while still open) are placed at a steady rate, SIGKILL and restart at random moments each process kind — API, worker, price consumer,
// order-events consumer, Kafka, Redis, the Temporal server — then let the system settle and check the
// invariants.
// The seed fixes every random choice (which process, when, how long it stays down, the orders placed),
// so a failing run can be replayed.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig, type StackConfig } from '../stack/stack-config';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { readLatestTick } from '../../lib/store/price-history';
import { drawOrder, PRICE } from './draw';
import { putAccount, putHolding, putPrice, SAIPA } from '../../test/support/accounts';
import { startHashedVerifier } from '../../test/support/verifiers';
import { sleep, waitFor } from '../wait';
import { healthPort } from '../stack/app-processes';
import { stackSpecFromConfig, startStack, stopStack, type StackSpec } from '../stack/local-stack';
import { prebuildWorkflowBundle } from '../stack/workflow-bundle';
import { ChaosApps } from './apps';
import { awaitFinal, Balancer, cancelOpenOrder, placeOrder, type LogicalOrder } from './clients';
import { checkOrderInvariants, checkServerErrors, requireChecked } from './invariants';
import { checkLedger, type Opening } from './ledger-invariant';
import { checkOrderListing } from './list-invariant';
import { checkPrices, minutesRan, scheduleCreatedAt, settlePrices } from './price-invariant';
import { watchPrices } from './price-watch';
import { attributeMisses, orderTally, type ChaosReport, type Kind } from './report';
import { seededRandom, type ChaosOptions } from './options';
import { chaosEnv, PROCESS_KINDS, SERVICE_KINDS, targetsOf, type Target } from './targets';

const MINUTE = 60_000;
const SOLE_COOLDOWN_MS = 30_000;
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const { log } = opts;
  const rng = seededRandom(opts.seed);
  const env = { ...(process.env as Record<string, string>), ...chaosEnv(opts.portOffset, opts.ha) };
  if (opts.temporal) env.TEMPORAL_PERSISTENCE = opts.temporal;
  const verifier = await startHashedVerifier();
  env.VERIFIER_URL = verifier.url;
  const cfg = loadStackConfig(env);
  const spec = stackSpecFromConfig(cfg);
  rmSync(spec.dir, { recursive: true, force: true });
  const logDir = join(spec.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const copies = opts.ha ? 2 : 1;
  log(
    `seed ${opts.seed}, ${opts.durationMs / 1000} s, ${opts.ha ? 'HA layout, ' : ''}stack ${spec.dir}, Temporal on ${spec.temporalPersistence}`,
  );
  const stackLog = (m: string) => log(`[stack] ${m}`);
  // The workers restart often: one bundle, built now, spares each restart seconds of CPU.
  if (!cfg.WORKFLOW_BUNDLE) env.WORKFLOW_BUNDLE = await prebuildWorkflowBundle(spec.dir);
  const apps = new ChaosApps(cfg, env, logDir, log);
  const opened: { redis?: Redis } = {};
  try {
    return await chaosOnStack(opts, { rng, env, cfg, spec, apps, opened, copies, stackLog });
  } finally {
    // Whatever happened, nothing of this run is left running.
    await apps.stopAll();
    opened.redis?.disconnect();
    await verifier.close();
    await stopStack(spec, () => undefined);
  }
}

interface RunContext {
  rng: () => number;
  env: Record<string, string>;
  cfg: StackConfig;
  spec: StackSpec;
  apps: ChaosApps;
  /** What the run opened, for the clean-up. */
  opened: { redis?: Redis };
  copies: number;
  stackLog: (m: string) => void;
}

async function chaosOnStack(opts: ChaosOptions, ctx: RunContext): Promise<ChaosReport> {
  const { log } = opts;
  const { rng, cfg, spec, apps, copies, stackLog } = ctx;
  await startStack(spec, stackLog);
  const redis = (ctx.opened.redis = createRedis(cfg));

  // Each user starts with credit and shares to sell.
  const opening = new Map<string, Opening>();
  const keys = new Map<string, string>();
  for (let i = 0; i < opts.users; i++) {
    const user = `chaos-u${i}`;
    const credit = 2_000_000 + i * 500_000;
    const shares = 100 + i * 50;
    keys.set(user, await putAccount(redis, user, credit));
    await putHolding(redis, user, SAIPA, shares, PRICE);
    opening.set(user, { credit, shares: { [SAIPA]: shares } });
  }
  await putPrice(redis, SAIPA, PRICE);

  const targets = targetsOf(cfg, spec, apps, copies, stackLog);
  // Requests made while no sole process (one without a twin) was down, counted apart: what HA can promise.
  let soleDown = 0;
  let soleKills = 0;
  const soleMark = () => (soleDown > 0 ? undefined : soleKills);
  const apiBases = Array.from(
    { length: copies },
    (_, i) => `http://127.0.0.1:${healthPort(cfg, { kind: 'api', instance: i + 1 })}`,
  );
  // What is killed and not yet back, by copy or node: each unanswered request is filed under it.
  const down = new Set<string>();
  const lb = new Balancer(apiBases, soleMark, () => [...down]);
  const startedAt = Date.now();
  const apiUp = () =>
    waitFor('an API', async () => (await lb.request('/healthz', {}, 5_000))?.status === 200, 120_000);
  for (const kind of PROCESS_KINDS) {
    for (let instance = 1; instance <= copies; instance++) apps.start({ kind, instance });
  }
  await Promise.all(
    apiBases.map((base) =>
      waitFor(`the API ${base}`, async () => (await fetch(`${base}/healthz`)).ok, 120_000),
    ),
  );
  // The price schedule's minutes count from its creation by the worker (a fresh stack: this run's).
  const temporal = createTemporalClient(cfg);
  // A fresh worker bundles its workflows first: minutes on a busy machine.
  const pricesFrom = await scheduleCreatedAt(temporal, cfg.PRICE_SCHEDULE_ID, 600_000).finally(() =>
    temporal.connection.close(),
  );
  const priceWatch = watchPrices(redis, cfg.STOCKS, pricesFrom);

  const kinds: Kind[] = [...PROCESS_KINDS, ...SERVICE_KINDS];
  const kills = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<Kind, number>;
  const secondsDown = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<Kind, number>;
  const killsByTarget: Record<string, number> = Object.fromEntries(targets.map((t) => [t.name, 0]));
  const orders: LogicalOrder[] = [];
  const placing: Promise<void>[] = [];
  let loadEndsAt = opts.killEachOnce ? Number.POSITIVE_INFINITY : Date.now() + opts.durationMs;
  // Clients keep retrying a little past the load's end, through the last restart.
  let giveUpAt = Number.POSITIVE_INFINITY;
  const users = [...opening.keys()];

  const load = (async () => {
    let n = 0;
    while (Date.now() < loadEndsAt) {
      const user = users[Math.floor(rng() * users.length)];
      const o = await drawOrder(rng, user, `chaos-${opts.seed}-${n++}`, () =>
        readLatestTick(redis, SAIPA).then((t) => t?.price),
      );
      orders.push(o);
      const duplicate = rng() < 0.2;
      const apiKey = keys.get(user)!;
      placing.push(
        placeOrder(lb, apiKey, o, () => giveUpAt, duplicate).then(() =>
          cancelOpenOrder(lb, apiKey, o, () => giveUpAt),
        ),
      );
      await sleep(1_000 / opts.rate);
    }
  })();

  // One kill: SIGKILL, down a moment, back (and healthy). Its kind is busy meanwhile, so a twin is
  // never killed while its other half is down.
  const busy = new Set<Kind>();
  let restartFailures = 0;
  const cycle = async (t: Target) => {
    busy.add(t.kind);
    const downMs = Math.floor(rng() * 3_000);
    log(`t+${((Date.now() - startedAt) / 1000).toFixed(1)} s SIGKILL ${t.name}, down ${downMs} ms`);
    down.add(t.name);
    const downSince = Date.now();
    if (t.sole) {
      soleDown++;
      soleKills++;
    }
    try {
      await t.kill();
      await sleep(downMs);
      // A restart that fails (a busy machine's timeouts) is tried again, as a supervisor would, and
      // counted; the kind stays busy until its copy is back.
      for (let attempt = 1; ; attempt++) {
        try {
          await t.restart();
          break;
        } catch (err) {
          restartFailures++;
          log(`restart of ${t.name} failed (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}`);
          if (attempt >= 10) throw err;
          await sleep(2_000);
        }
      }
      kills[t.kind]++;
      killsByTarget[t.name]++;
      log(`t+${((Date.now() - startedAt) / 1000).toFixed(1)} s ${t.name} back`);
    } finally {
      down.delete(t.name);
      secondsDown[t.kind] += (Date.now() - downSince) / 1000;
      if (t.sole) soleDown--;
    }
    try {
      // A process without a twin (the Temporal server) is killed at most every SOLE_COOLDOWN_MS, so a
      // run measures the twins rather than the one server that has none. A run that kills each kind
      // once kills it once anyway: no cooldown to wait out.
      if (t.sole && opts.ha && !opts.killEachOnce) await sleep(SOLE_COOLDOWN_MS);
    } finally {
      busy.delete(t.kind);
    }
  };
  const cycles: Promise<void>[] = [];
  const chaos = (async () => {
    await sleep(2_000 + rng() * 3_000);
    if (opts.killEachOnce) {
      // Each kind once, in a seeded order, one copy of it chosen at random.
      const order = [...kinds];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const kind of order) {
        const mine = targets.filter((t) => t.kind === kind);
        await cycle(mine[Math.floor(rng() * mine.length)]);
        await sleep(1_000 + rng() * 2_000);
      }
      // At least one minute of the price schedule inside the load, so the price invariant checks one.
      const firstMinute = Math.ceil(pricesFrom / MINUTE) * MINUTE;
      await sleep(Math.max(0, firstMinute + 2_000 - Date.now()));
      loadEndsAt = Date.now();
      return;
    }
    while (Date.now() < loadEndsAt - 5_000) {
      const free = targets.filter((t) => !busy.has(t.kind));
      if (free.length === 0) {
        await sleep(250);
        continue;
      }
      const t = free[Math.floor(rng() * free.length)];
      if (opts.ha) {
        // Kills of different kinds overlap; the next one comes 2-6 s after this one began (about 140
        // in 10 minutes, and a restarted copy has a few seconds to catch up before its twin may go).
        // A cycle that fails for good fails the run (at the Promise.all below), never as an unhandled
        // rejection.
        const c = cycle(t);
        c.catch(() => undefined);
        cycles.push(c);
        await sleep(2_000 + rng() * 4_000);
      } else {
        await cycle(t);
        await sleep(2_000 + rng() * 8_000);
      }
    }
  })();

  await Promise.all([load, chaos]);
  await Promise.all(cycles);
  const loadEndedAt = Date.now();
  log(`load and kills over: ${orders.length} orders placed; settling`);
  giveUpAt = Date.now() + opts.settleMs;
  await apiUp();
  await Promise.all(placing);
  const deadline = Date.now() + opts.settleMs;
  await Promise.all(
    orders.filter((o) => o.orderId).map((o) => awaitFinal(lb, keys.get(o.user)!, o, deadline)),
  );
  // Every minute the schedule fired while the load ran; outages delay some (the catch-up records them).
  const minutes = minutesRan(pricesFrom, loadEndedAt);
  await settlePrices(redis, cfg.STOCKS, minutes, Date.now() + opts.settleMs);
  const prices = await priceWatch.stop(loadEndedAt);
  const invariants = [
    ...(await checkOrderInvariants(cfg, redis, orders, users)),
    await checkPrices(redis, cfg.STOCKS, minutes),
    // The order-events consumer was killed too: a minute at most to catch up with the last events.
    await checkOrderListing(apiBases[0], keys, orders, Date.now() + 60_000),
    // After the listing agrees, so the read model it reads has caught up.
    ...(await checkLedger(cfg, redis, apiBases[0], keys, orders, opening, [PRICE])),
    checkServerErrors(lb.answers, lb.serverErrors),
  ].map(requireChecked);

  return {
    seed: opts.seed,
    ha: Boolean(opts.ha),
    kills,
    killsByTarget,
    secondsDown,
    selfExits: apps.selfExits,
    restartFailures,
    orders: orderTally(orders),
    availability: {
      orders: lb.orders,
      ordersTwinned: lb.ordersTwinned,
      prices,
      unanswered: attributeMisses(lb.misses, new Map(targets.map((t) => [t.name, t.kind])), startedAt),
    },
    invariants,
    ok: invariants.every((i) => i.violations.length === 0),
  };
}

export { seededRandom, type ChaosOptions } from './options';
