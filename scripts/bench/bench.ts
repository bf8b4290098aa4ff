// `npm run bench`: every performance figure of bourse, on a stack of its own (.stack/bench, ports
// 23000–29093, never the demo's or the tests'), with the real worker, consumer and API processes.
// Prints a table and writes bench-results/bench-<time>.json so two runs can be compared.
// Not a pass/fail test. Options: `npm run bench -- --help` (options.ts). Order scenarios in
// order-scenarios.ts, opening.ts, order-delivery.ts, orders-list.ts, limit-orders.ts, ceiling.ts and
// startup.ts (how the API and the worker start, npm start's way and the image's), price
// scenarios in prices-*.ts.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadStackConfig, type StackConfig } from '../stack/stack-config';
import { runCommand } from '../cli';
import {
  portOpen,
  readPid,
  ROOT,
  SERVICES,
  stackSpecFromConfig,
  startStack,
  stopStack,
} from '../stack/local-stack';
import { postgresPid } from '../stack/postgres';
import { say } from './bench-lib';
import { watchCpu } from './cpu';
import { BASELINE_PORT, BENCH_ENV, command, PROFILE_DIR, STACK_DIR, type BenchOptions } from './options';
import { ceiling, ceilingAtRate, ofCeiling, type CeilingFigures } from './ceiling';
import { delivery, sseDelivery } from './order-delivery';
import type { LoadFigures } from './order-load';
import { benchLimitOrders } from './limit-orders';
import { orderGoals } from './order-goals';
import { acceptance, acceptanceAt, completion } from './order-scenarios';
import { startup } from './startup';
import { opening } from './opening';
import { ordersList } from './orders-list';
import { BenchProcesses, waitHttp, type Proc } from './processes';
import { benchCatchup, benchCatchupWorkflow } from './prices-catchup';
import { unwatchStocks, watchNewStocks } from './prices-common';
import { benchFreshness } from './prices-freshness';
import { benchIngest } from './prices-ingest';
import { benchImport } from './prices-import';
import { summariseProfiles } from './profiles';
import { printTable } from './table';

export { command } from './options';

/** The price figures, in order: each catch-up's stocks become the next figure's live stocks. */
async function priceFigures(
  cfg: StackConfig,
  opts: BenchOptions,
  only: Set<string>,
  results: Record<string, unknown>,
) {
  if (only.has('ingest')) {
    results.ingest = await benchIngest(cfg, {
      stocks: opts.stocks,
      minutes: opts['ingest-minutes'],
      processes: opts['ingest-processes'].map(Number),
      profile: opts.profile,
    });
  }
  const liveStocks: string[] = [];
  if (only.has('catchup'))
    results.catchup = await benchCatchup(cfg, {
      stocks: opts.stocks,
      hours: opts.hours,
      stocksOut: liveStocks,
    });
  if (only.has('backfill')) {
    // The same gap for new stocks; the schedule figure's stocks leave the watch list first, so each
    // figure fetches the same number of stocks a minute. Freshness then watches these.
    await unwatchStocks(cfg, liveStocks.splice(0));
    results.catchupWorkflow = await benchCatchupWorkflow(cfg, {
      stocks: opts.stocks,
      hours: opts.hours,
      blockMinutes: opts['backfill-block'],
      parallel: opts['backfill-parallel'],
      stocksOut: liveStocks,
    });
  }
  if (only.has('freshness')) {
    // Without the catch-up, the stocks join the watch list here.
    if (liveStocks.length === 0) liveStocks.push(...(await watchNewStocks(cfg, opts.stocks)));
    results.freshness = await benchFreshness(cfg, { stocks: liveStocks, minutes: opts['fresh-minutes'] });
  }
  if (only.has('import'))
    results.import = await benchImport(cfg, { sizes: opts['import-sizes'], stocks: opts.stocks });
}

/**
 * The order figures, in order: the ceiling and the own-shape ceiling, then (with accept) the ceiling
 * and acceptance both open loop at half the ceiling's rate, and acceptance and the opening burst with
 * the 0 s worker (the baseline stops after), completion and long-poll delivery with 200 ms, the
 * ceiling again, SSE delivery with 0–200 ms, then the list and the limit orders.
 */
async function orderFigures(
  cfg: StackConfig,
  opts: BenchOptions,
  only: Set<string>,
  results: Record<string, unknown>,
  procs: BenchProcesses,
  started: { baseline: Proc; worker: Proc },
) {
  let worker = started.worker;
  const restartWorker = async (min: string, max?: string) => {
    await procs.stop(worker);
    worker = procs.startWorker(min, max);
  };
  // On a shared machine the load drifts within a run: the ceiling is measured before and after the
  // order scenarios it is compared with, and the ratios use the mean of the two.
  const ceilingWorker =
    only.has('ceiling') || only.has('ceiling-shape')
      ? procs.start('ceiling-worker', 'ceiling-worker')
      : undefined;
  if (only.has('ceiling')) results.ceiling = await ceiling(cfg, opts.duration);
  if (only.has('ceiling-shape')) results.ceilingShape = await ceiling(cfg, opts.duration, 'order-shape');
  if (only.has('ceiling') && only.has('accept')) {
    // The latency goal: bourse's accept p99 against the ceiling's own, both at a rate the ceiling carries.
    const half = Math.max(1, Math.round((results.ceiling as CeilingFigures).startsPerSecond * 5) / 10);
    results.ceilingHalf = await ceilingAtRate(cfg, half, opts.duration);
    results.acceptHalf = await acceptanceAt(cfg, opts, half);
  }
  if (only.has('accept')) results.accept = await acceptance(cfg, opts);
  if (only.has('opening')) results.opening = await opening(cfg, opts);
  await procs.stop(started.baseline);
  if (only.has('complete') || only.has('delivery')) {
    await restartWorker('200ms');
    if (only.has('complete')) results.complete = await completion(cfg, opts);
    if (only.has('delivery')) results.delivery = await delivery(cfg, opts);
  }
  if (only.has('ceiling') && (results.accept || results.complete)) {
    results.ceilingAfter = await ceiling(cfg, opts.duration);
  }
  if (ceilingWorker) await procs.stop(ceilingWorker);
  if (only.has('sse')) {
    await restartWorker('0s', '200ms');
    results.sse = await sseDelivery(cfg, opts);
  }
  if (only.has('orders-list')) results.ordersList = await ordersList(cfg);
  if (only.has('limits')) results.limits = await benchLimitOrders(cfg, { orders: opts['limit-orders'] });
  if (only.has('startup')) results.startup = await startup(cfg, opts.starts);
  if (results.ceilingAfter) results.ofCeiling = ceilingShares(results);
  results.orderGoals = orderGoals(results);
}

/** The accept and completion scenarios' orders/s as shares of the mean ceiling (before and after). */
function ceilingShares(results: Record<string, unknown>) {
  const [before, after] = [results.ceiling, results.ceilingAfter] as CeilingFigures[];
  const perSecond = Math.round(((before.startsPerSecond + after.startsPerSecond) / 2) * 100) / 100;
  const accept = (results.accept ?? []) as { rate: number; temporal: LoadFigures }[];
  const complete = results.complete as { completedPerSecond: number } | undefined;
  return {
    ceilingStartsPerSecond: perSecond,
    acceptedByRate: Object.fromEntries(
      accept.map((a) => [a.rate, ofCeiling(a.temporal.achievedPerSecond, perSecond)]),
    ),
    completed: complete ? ofCeiling(complete.completedPerSecond, perSecond) : undefined,
  };
}

async function main(opts: BenchOptions, procs: BenchProcesses): Promise<number> {
  const only = new Set(opts.only);
  const cfg = loadStackConfig({ ...process.env, ...BENCH_ENV });
  const spec = stackSpecFromConfig(cfg);
  const reuse = (
    await Promise.all([spec.redisPort, spec.kafkaPort, spec.temporalPort].map((p) => portOpen(p)))
  ).every(Boolean);
  if (!reuse) rmSync(STACK_DIR, { recursive: true, force: true }); // a fresh stack: figures comparable across runs
  rmSync(PROFILE_DIR, { recursive: true, force: true });
  await startStack(spec, (m) => say(`stack: ${m}`));
  for (const svc of SERVICES) watchCpu(svc, readPid(spec, svc));
  // Temporal's database, on TEMPORAL_PERSISTENCE=postgres: its backends are the postmaster's children.
  if (spec.temporalPersistence === 'postgres') watchCpu('postgres', postgresPid(spec));
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    options: {
      DURATION: opts.duration / 1000,
      RATES: opts.rates.map(Number),
      COMPLETE_RATE: opts['complete-rate'],
      SAMPLES: opts.samples,
      ORDERS: opts.orders,
      SECONDS: opts.seconds,
      STOCKS: opts.stocks,
      HOURS: opts.hours,
      INGEST_MINUTES: opts['ingest-minutes'],
      INGEST_PROCESSES: opts['ingest-processes'].map(Number),
      FRESH_MINUTES: opts['fresh-minutes'],
      BACKFILL_BLOCK: opts['backfill-block'],
      BACKFILL_PARALLEL: opts['backfill-parallel'],
      LIMIT_ORDERS: opts['limit-orders'],
      STARTS: opts.starts,
      profile: opts.profile,
    },
    stackReused: reuse,
  };
  procs.start('api', 'api');
  procs.start('consumer', 'consumer');
  procs.start('order-events-consumer', 'order-events-consumer');
  const baseline = procs.start('baseline', 'baseline', { API_PORT: String(BASELINE_PORT) });
  const worker = procs.startWorker('0s');
  await waitHttp(`http://127.0.0.1:${BENCH_ENV.API_PORT}/healthz`, 'the API');
  await waitHttp(`http://127.0.0.1:${BASELINE_PORT}/`, 'the baseline API');

  await orderFigures(cfg, opts, only, results, procs, { baseline, worker });
  await priceFigures(cfg, opts, only, results);

  for (const svc of SERVICES) {
    procs.notePeak(svc, readPid(spec, svc));
  }
  await procs.stopAll();
  results.peakRssMiB = procs.peakRss;
  if (opts.profile) results.profiles = summariseProfiles();
  if (!opts['keep-stack']) await stopStack(spec, (m) => say(`stack: ${m}`));

  printTable(results);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `bench-${(results.at as string).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  say(`figures written to ${file}`);
  return 0;
}

if (require.main === module) {
  runCommand(command, async ({ values }) => {
    const procs = new BenchProcesses(values.profile);
    try {
      return await main(values, procs);
    } catch (err) {
      for (const p of procs.running) p.child.kill('SIGTERM');
      throw err;
    }
  });
}
