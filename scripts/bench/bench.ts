// `npm run bench`: every performance figure of bourse, on a stack of its own (.stack/bench, ports
// 23000–29093, never the demo's or the tests'), with the real worker, consumer and API processes.
// Prints a table and writes bench-results/bench-<time>.json so two runs can be compared.
// Not a pass/fail test. Options (all optional):
//   --duration 20        seconds of each measured load phase
//   --rates 25,50,100    offered POST /orders rates for the acceptance scenario
//   --complete-rate 200  offered rate for the completion scenario
//   --samples 200        long-poll samples for the result-delivery scenario
//   --stocks 700 --hours 24 --ingest-minutes 300 --fresh-minutes 2
//   --backfill-block 60 --backfill-parallel 4   the priceBackfill workflow's blocks in the `backfill` figure
//   --only accept,complete,delivery,ingest,catchup,backfill,freshness
//   --profile            run worker, consumer and API under node --cpu-prof; print their hottest functions
//   --keep-stack         leave the bench stack running (the next run reuses it instead of starting afresh)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../lib/infra/config';
import { latestPriceKey, userKey } from '../../lib/store/keys';
import { BACKFILL_DEFAULTS } from '../../lib/prices/backfill-plan';
import { flatTick } from '../../lib/contracts/price-tick';
import { buyOrderWorkflowId } from '../../lib/contracts/orders';
import { createRedis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { commandOf, type AppProcess } from '../stack/app-processes';
import { issueApiKey } from '../../lib/store/api-keys';
import {
  benchKeys,
  fmt,
  openLoop,
  orderApi,
  peakRssMiB,
  say,
  sleep,
  stats,
  type OrderApi,
  type Stats,
} from './bench-lib';
import {
  benchCatchup,
  benchCatchupWorkflow,
  benchFreshness,
  benchIngest,
  unwatchStocks,
  watchNewStocks,
} from './bench-prices';
import { portOpen, ROOT, SERVICES, stackSpecFromConfig, startStack, stopStack } from '../stack/local-stack';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const num = (name: string, fallback: number) => Number(opt(name, String(fallback)));
const flag = (name: string) => argv.includes(`--${name}`);

const DURATION = num('duration', 20);
const RATES = opt('rates', '25,50,100').split(',').map(Number);
const COMPLETE_RATE = num('complete-rate', 200);
const SAMPLES = num('samples', 200);
const STOCKS = num('stocks', 700);
const HOURS = num('hours', 24);
const INGEST_MINUTES = num('ingest-minutes', 300);
const FRESH_MINUTES = num('fresh-minutes', 2);
const BACKFILL_BLOCK = num('backfill-block', BACKFILL_DEFAULTS.blockMinutes);
const BACKFILL_PARALLEL = num('backfill-parallel', BACKFILL_DEFAULTS.parallel);
const ALL = ['accept', 'complete', 'delivery', 'ingest', 'catchup', 'backfill', 'freshness'];
const ONLY = new Set(opt('only', ALL.join(',')).split(','));
const PROFILE = flag('profile');

/** The bench stack: its own ports (far from the demo's 3000/7233/9092/6379 and the tests' 13000–19492). */
const BENCH_ENV: Record<string, string> = {
  TEMPORAL_ADDRESS: '127.0.0.1:27233',
  TEMPORAL_UI_PORT: '28233',
  KAFKA_BROKERS: '127.0.0.1:29092',
  REDIS_URL: 'redis://127.0.0.1:26379',
  API_HOST: '127.0.0.1',
  API_PORT: '23000',
  STACK_DIR: '.stack/bench',
  LOG_LEVEL: 'warn',
  // The bench measures the order path, not the per-key rate limit.
  RATE_LIMIT_REQUESTS: '1000000',
};
const BASELINE_PORT = 23001;
const BENCH_STOCK = '44891482026867833';
const STACK_DIR = join(ROOT, BENCH_ENV.STACK_DIR!);
const PROFILE_DIR = join(STACK_DIR, 'profiles');

// ---------- the app's processes, started and measured by the bench ----------

interface Proc {
  name: string;
  child: ChildProcess;
}
const peakRss: Record<string, number> = {};
const running = new Set<Proc>();

function startProc(name: string, file: AppProcess | 'baseline', env: Record<string, string>): Proc {
  const cmd =
    file === 'baseline' ? ['node', '--import', 'tsx', 'scripts/bench/baseline-api.ts'] : commandOf(file);
  const args = cmd.slice(1);
  if (PROFILE && file !== 'baseline') args.unshift('--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`);
  mkdirSync(join(STACK_DIR, 'logs'), { recursive: true });
  const out = openSync(join(STACK_DIR, 'logs', `${name}.log`), 'a');
  const child = spawn(cmd[0]!, args, {
    cwd: ROOT,
    env: { ...process.env, ...BENCH_ENV, ...env },
    stdio: ['ignore', out, out],
  });
  const proc = { name, child };
  running.add(proc);
  return proc;
}

function notePeak(name: string, pid: number | undefined): void {
  const mib = pid ? peakRssMiB(pid) : undefined;
  if (mib !== undefined) peakRss[name] = Math.max(peakRss[name] ?? 0, mib);
}

async function stopProc(proc: Proc): Promise<void> {
  notePeak(proc.name.replace(/-.*/, ''), proc.child.pid);
  running.delete(proc);
  if (proc.child.exitCode !== null) return;
  proc.child.kill('SIGTERM');
  await once(proc.child, 'exit');
}

async function waitHttp(url: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await sleep(250);
  }
  throw new Error(`${what} did not answer ${url} within 60 s; see ${STACK_DIR}/logs`);
}

/** A worker with a fixed verification delay (0 s for acceptance, short for completion). */
function startWorker(delay: string): Proc {
  return startProc(`worker-${delay}`, 'worker', { VERIFY_DELAY_MIN: delay, VERIFY_DELAY_MAX: delay });
}

// ---------- order scenarios ----------

async function newUser(cfg: Config, tag: string): Promise<string> {
  const redis = createRedis(cfg);
  const user = `bench-${tag}-${Date.now()}`;
  await redis.hset(userKey(user), { credit: String(Number.MAX_SAFE_INTEGER), reserved: '0' });
  benchKeys.set(user, await issueApiKey(redis, { id: user, role: 'user' }));
  await redis.set(latestPriceKey(BENCH_STOCK), JSON.stringify(flatTick(BENCH_STOCK, 2850)));
  redis.disconnect();
  return user;
}

/** Until the worker answers: orders during start-up get 503 while no worker polls yet. */
async function untilAccepting(api: OrderApi, user: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if ((await api.placeOrder(user, BENCH_STOCK).catch(() => ({ status: 0 }))).status === 201) return;
    await sleep(500);
  }
  throw new Error('the order API never accepted an order; see .stack/bench/logs');
}

interface LoadFigures {
  offeredPerSecond: number;
  seconds: number;
  sent: number;
  ok: number;
  errors: number;
  /** Errors by kind: "503 overloaded" (refused, nothing started), "503 unavailable" (timed out), ... */
  errorKinds: Record<string, number>;
  achievedPerSecond: number;
  latencyMs: Stats;
}

async function load(
  api: OrderApi,
  user: string,
  rate: number,
  seconds: number,
): Promise<LoadFigures & { orderIds: string[] }> {
  const { results, elapsedSeconds } = await openLoop(rate, seconds, () => api.placeOrder(user, BENCH_STOCK));
  const ok = results.filter((r) => r.value?.status === 201);
  const errorKinds: Record<string, number> = {};
  for (const r of results) {
    if (r.value?.status === 201) continue;
    const kind = r.value ? `${r.value.status} ${r.value.body.error ?? ''}`.trim() : `failed: ${r.error}`;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  }
  return {
    offeredPerSecond: rate,
    seconds,
    sent: results.length,
    ok: ok.length,
    errors: results.length - ok.length,
    errorKinds,
    achievedPerSecond: Math.round((ok.length / elapsedSeconds) * 10) / 10,
    latencyMs: stats(ok.map((r) => r.ms)),
    orderIds: ok.map((r) => r.value!.body.orderId!),
  };
}

const WARMUP_SECONDS = 3;

/**
 * Waits until no buyOrder workflow is running, so one phase's backlog (orders still being verified or
 * settled) never loads the next phase's measurement. Says how long it took; gives up after 3 minutes.
 */
async function drain(cfg: Config): Promise<void> {
  const temporal = createTemporalClient(cfg);
  const started = Date.now();
  try {
    let running = 0;
    while (Date.now() - started < 180_000) {
      running = (await temporal.workflow.count('WorkflowType = "buyOrder" AND ExecutionStatus = "Running"'))
        .count;
      if (running === 0) break;
      await sleep(500);
    }
    if (running > 0) say(`drain: ${running} orders still running after 180 s; measuring anyway`);
    else if (Date.now() - started > 1_000)
      say(`drain: backlog gone after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await temporal.connection.close();
  }
}

async function acceptance(cfg: Config) {
  const api = orderApi(`http://127.0.0.1:${BENCH_ENV.API_PORT}`);
  const baseline = orderApi(`http://127.0.0.1:${BASELINE_PORT}`);
  const user = await newUser(cfg, 'accept');
  await untilAccepting(api, user);
  const rows = [];
  for (const rate of RATES) {
    const figures: Record<string, LoadFigures> = {};
    for (const [name, target] of [
      ['baseline', baseline],
      ['temporal', api],
    ] as const) {
      await load(target, user, rate, WARMUP_SECONDS); // warm-up, discarded
      if (name === 'temporal') await drain(cfg);
      const f = await load(target, user, rate, DURATION);
      if (name === 'temporal') await drain(cfg);
      figures[name] = { ...f, orderIds: undefined } as LoadFigures;
      const kinds = errorKindsText(f.errorKinds);
      say(
        `accept ${name} @ ${rate}/s: ${fmt(f.latencyMs)}, ${f.achievedPerSecond}/s, errors ${f.errors}${kinds ? ` (${kinds})` : ''}`,
      );
    }
    const t = figures.temporal!;
    const b = figures.baseline!;
    rows.push({
      rate,
      temporal: t,
      baseline: b,
      p50Ratio: Math.round((t.latencyMs.p50 / b.latencyMs.p50) * 10) / 10,
      p99Ratio: Math.round((t.latencyMs.p99 / b.latencyMs.p99) * 10) / 10,
    });
  }
  return rows;
}

async function completion(cfg: Config) {
  const api = orderApi(`http://127.0.0.1:${BENCH_ENV.API_PORT}`);
  const warm = await newUser(cfg, 'complete-warm');
  await untilAccepting(api, warm);
  await load(api, warm, COMPLETE_RATE, WARMUP_SECONDS);
  await drain(cfg);
  const user = await newUser(cfg, 'complete');
  const f = await load(api, user, COMPLETE_RATE, DURATION);
  const { orderIds, ...accepted } = f;
  // Wait (up to 60 s after the last POST) for every accepted order's workflow to close. Completed
  // counts every order of the run that finished, also one whose POST timed out (503 unavailable: its
  // workflow had started); notCompleted counts accepted orders that did not finish.
  const temporal = createTemporalClient(cfg);
  const query = `WorkflowType = "buyOrder" AND OrderUser = "${user}" AND ExecutionStatus = "Completed"`;
  const accepted201 = new Set(orderIds.map(buyOrderWorkflowId));
  const deadline = Date.now() + 60_000;
  let closed: { id: string; start: number; close: number }[] = [];
  for (;;) {
    closed = [];
    for await (const wf of temporal.workflow.list({ query })) {
      closed.push({ id: wf.workflowId, start: wf.startTime.getTime(), close: wf.closeTime?.getTime() ?? 0 });
    }
    const done = new Set(closed.map((c) => c.id));
    if ([...accepted201].every((id) => done.has(id)) || Date.now() > deadline) break;
    await sleep(1_000);
  }
  await temporal.connection.close();
  const completed = closed.length;
  const firstStart = Math.min(...closed.map((c) => c.start));
  const lastClose = Math.max(...closed.map((c) => c.close));
  const seconds = (lastClose - firstStart) / 1000;
  const done = new Set(closed.map((c) => c.id));
  return {
    verificationDelay: '200ms',
    accepted,
    completed,
    notCompleted: [...accepted201].filter((id) => !done.has(id)).length,
    firstStartToLastCloseSeconds: seconds,
    completedPerSecond: Math.round((completed / seconds) * 10) / 10,
  };
}

async function delivery(cfg: Config) {
  const api = orderApi(`http://127.0.0.1:${BENCH_ENV.API_PORT}`);
  const temporal = createTemporalClient(cfg);
  const user = await newUser(cfg, 'delivery');
  const lags: number[] = [];
  let errors = 0;
  const LANES = 5;
  const one = async (record: boolean) => {
    const placed = await api.placeOrder(user, BENCH_STOCK);
    if (placed.status !== 201) {
      errors += 1;
      return;
    }
    const orderId = placed.body.orderId!;
    const answer = await api.result(user, orderId, 30);
    const answeredAt = Date.now();
    const desc = await temporal.workflow.getHandle(buyOrderWorkflowId(orderId)).describe();
    if (!answer.body.final || !desc.closeTime) throw new Error(`order ${orderId} did not finish`);
    if (record) lags.push(answeredAt - desc.closeTime.getTime());
  };
  for (let i = 0; i < 20; i++) await one(false); // warm-up
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (let i = lane; i < SAMPLES; i += LANES) await one(true);
    }),
  );
  await temporal.connection.close();
  return {
    verificationDelay: '200ms',
    concurrentClients: LANES,
    closeToAnswerMs: stats(lags),
    postErrors: errors,
  };
}

// ---------- profiles ----------

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The hottest functions (self time) of each process's CPU profile. */
function summariseProfiles(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let dirs: string[] = [];
  try {
    dirs = readdirSync(PROFILE_DIR);
  } catch {
    return out;
  }
  for (const dir of dirs) {
    for (const file of readdirSync(join(PROFILE_DIR, dir)).filter((f) => f.endsWith('.cpuprofile'))) {
      const prof = JSON.parse(readFileSync(join(PROFILE_DIR, dir, file), 'utf8')) as CpuProfile;
      const byId = new Map(prof.nodes.map((n) => [n.id, n]));
      const self = new Map<string, number>();
      let total = 0;
      prof.samples.forEach((id, i) => {
        const n = byId.get(id)!;
        const where = n.callFrame.url.replace(/^.*node_modules\//, '').replace(`file://${ROOT}/`, '');
        const key = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
        const dt = prof.timeDeltas[i] ?? 0;
        total += dt;
        self.set(key, (self.get(key) ?? 0) + dt);
      });
      out[`${dir}/${file}`] = [...self.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([k, us]) => `${((us / total) * 100).toFixed(1)}% ${k}`);
    }
  }
  return out;
}

// ---------- the run ----------

async function main(): Promise<void> {
  const cfg = loadConfig({ ...process.env, ...BENCH_ENV });
  const spec = stackSpecFromConfig(cfg);
  const reuse = (
    await Promise.all([spec.redisPort, spec.kafkaPort, spec.temporalPort].map((p) => portOpen(p)))
  ).every(Boolean);
  if (!reuse) rmSync(STACK_DIR, { recursive: true, force: true }); // a fresh stack: figures comparable across runs
  rmSync(PROFILE_DIR, { recursive: true, force: true });
  await startStack(spec, (m) => say(`stack: ${m}`));
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      loadAverageAtStart: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
    },
    options: {
      DURATION,
      RATES,
      COMPLETE_RATE,
      SAMPLES,
      STOCKS,
      HOURS,
      INGEST_MINUTES,
      FRESH_MINUTES,
      BACKFILL_BLOCK,
      BACKFILL_PARALLEL,
      profile: PROFILE,
    },
    stackReused: reuse,
  };
  const api = startProc('api', 'api', {});
  const consumer = startProc('consumer', 'consumer', {});
  const baseline = startProc('baseline', 'baseline', { API_PORT: String(BASELINE_PORT) });
  let worker = startWorker('0s');
  await waitHttp(`http://127.0.0.1:${BENCH_ENV.API_PORT}/healthz`, 'the API');
  await waitHttp(`http://127.0.0.1:${BASELINE_PORT}/`, 'the baseline API');

  if (ONLY.has('accept')) results.accept = await acceptance(cfg);
  await stopProc(baseline);
  if (ONLY.has('complete') || ONLY.has('delivery')) {
    await stopProc(worker);
    worker = startWorker('200ms');
    if (ONLY.has('complete')) results.complete = await completion(cfg);
    if (ONLY.has('delivery')) results.delivery = await delivery(cfg);
  }
  if (ONLY.has('ingest')) {
    await benchIngest(cfg, { stocks: STOCKS, minutes: 20 }); // warm-up, discarded
    results.ingest = await benchIngest(cfg, { stocks: STOCKS, minutes: INGEST_MINUTES });
  }
  const liveStocks: string[] = [];
  if (ONLY.has('catchup'))
    results.catchup = await benchCatchup(cfg, { stocks: STOCKS, hours: HOURS, stocksOut: liveStocks });
  if (ONLY.has('backfill')) {
    // The same gap for new stocks; the schedule figure's stocks leave the watch list first, so each
    // figure fetches the same number of stocks a minute. Freshness then watches these.
    await unwatchStocks(cfg, liveStocks.splice(0));
    results.catchupWorkflow = await benchCatchupWorkflow(cfg, {
      stocks: STOCKS,
      hours: HOURS,
      blockMinutes: BACKFILL_BLOCK,
      parallel: BACKFILL_PARALLEL,
      stocksOut: liveStocks,
    });
  }
  if (ONLY.has('freshness')) {
    // Without the catch-up, the stocks join the watch list here.
    if (liveStocks.length === 0) liveStocks.push(...(await watchNewStocks(cfg, STOCKS)));
    results.freshness = await benchFreshness(cfg, { stocks: liveStocks, minutes: FRESH_MINUTES });
  }

  for (const svc of SERVICES) {
    const pid = Number(readFileSync(join(STACK_DIR, 'run', `${svc}.pid`), 'utf8'));
    notePeak(svc, pid);
  }
  for (const p of [...running]) await stopProc(p);
  void worker;
  void consumer;
  void api;
  results.peakRssMiB = peakRss;
  if (PROFILE) results.profiles = summariseProfiles();
  if (!flag('keep-stack')) await stopStack(spec, (m) => say(`stack: ${m}`));

  printTable(results);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `bench-${(results.at as string).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  say(`figures written to ${file}`);
  process.exit(0);
}

/** "3 × 503 overloaded, 1 × 503 unavailable", or "" for none. */
const errorKindsText = (kinds: Record<string, number> = {}) =>
  Object.entries(kinds)
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON just written, read back for display
function printTable(r: Record<string, any>): void {
  const rows: [string, string, string][] = [];
  for (const a of r.accept ?? []) {
    rows.push([
      `accept @ ${a.rate}/s offered`,
      `${fmt(a.temporal.latencyMs)}; ${a.temporal.achievedPerSecond}/s; errors ${a.temporal.errors}${a.temporal.errors ? ` (${errorKindsText(a.temporal.errorKinds)})` : ''}`,
      `baseline ${fmt(a.baseline.latencyMs)}; ratio p50 ×${a.p50Ratio}, p99 ×${a.p99Ratio}`,
    ]);
  }
  if (r.complete)
    rows.push([
      `complete @ ${r.complete.accepted.offeredPerSecond}/s offered, verify 200 ms`,
      `${r.complete.completedPerSecond} completed/s (n=${r.complete.completed})`,
      `not completed ${r.complete.notCompleted}; refused ${r.complete.accepted.errors}${r.complete.accepted.errors ? ` (${errorKindsText(r.complete.accepted.errorKinds)})` : ''}; accept ${fmt(r.complete.accepted.latencyMs)}`,
    ]);
  if (r.delivery)
    rows.push([
      'close → long-poll answer',
      fmt(r.delivery.closeToAnswerMs),
      `${r.delivery.concurrentClients} clients`,
    ]);
  if (r.ingest)
    rows.push([
      'consumer ingest',
      `${r.ingest.ingestTicksPerSecond} ticks/s (n=${r.ingest.ticks})`,
      `redis-benchmark SET -P 16 ${r.ingest.redisBenchmarkSetP16PerSecond}/s; ratio ${r.ingest.ratioToRedisBenchmark}`,
    ]);
  if (r.catchup)
    rows.push([
      `catch-up ${r.catchup.minutes} min × ${r.catchup.stocks} stocks, schedule backfill`,
      `${r.catchup.seconds.toFixed(1)} s, ${r.catchup.ticksPerSecond} ticks/s`,
      `stored ${r.catchup.storedTicks}/${r.catchup.expectedTicks}`,
    ]);
  if (r.catchupWorkflow) {
    const c = r.catchupWorkflow;
    rows.push([
      `catch-up ${c.minutes} min × ${c.stocks} stocks, priceBackfill workflow`,
      `${c.seconds.toFixed(1)} s, ${c.ticksPerSecond} ticks/s`,
      `stored ${c.storedTicks}/${c.expectedTicks}; blocks of ${c.blockMinutes} min, ${c.parallel} at once; ` +
        `workflow done at ${c.workflowSeconds === undefined ? '—' : `${c.workflowSeconds.toFixed(1)} s`}`,
    ]);
  }
  if (r.freshness)
    rows.push([
      `live freshness (${r.freshness.stocks} stocks, ${r.freshness.minutesObserved} min)`,
      fmt(r.freshness.delayMs),
      `poll ${r.freshness.pollIntervalMs} ms; missing ${r.freshness.missing}`,
    ]);
  rows.push([
    'peak RSS (MiB)',
    Object.entries(r.peakRssMiB)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    '',
  ]);
  const w = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    process.stdout.write(`${row[0].padEnd(w[0]!)} | ${row[1].padEnd(w[1]!)} | ${row[2]}\n`);
  for (const [name, lines] of Object.entries(r.profiles ?? {})) {
    process.stdout.write(`\nprofile ${name} (self time):\n  ${(lines as string[]).join('\n  ')}\n`);
  }
}

main().catch(async (err: unknown) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? String(err)}\n`);
  for (const p of [...running]) p.child.kill('SIGTERM');
  process.exit(1);
});
