// `npm run chaos -- [--seed N] [--duration 10m] [--port-offset 370] [--rate 4]`: fault injection.
// On a stack of its own (its own ports and folder), while orders are placed at a steady rate, SIGKILL
// and restart at random moments each process kind — API, worker, consumer, Kafka, Redis, the Temporal
// server — then let the system settle and check the invariants, printing each with its count.
// The seed fixes every random choice (which process, when, how long it stays down, the orders placed),
// so a failing run can be replayed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { issueApiKey } from '../../lib/store/api-keys';
import { durationToMs, loadConfig, type Config } from '../../lib/infra/config';
import {
  holdingsKey,
  latestPriceKey,
  orderKey,
  priceHistoryKey,
  priceIndexKey,
  userKey,
} from '../../lib/store/keys';
import { flatTick, type PriceTick } from '../../lib/contracts/price-tick';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { createTemporalClient } from '../../lib/infra/temporal';
import { commandOf, type AppProcess } from '../stack/app-processes';
import {
  ROOT,
  startService,
  startStack,
  stackEnv,
  stackSpecFromConfig,
  stopService,
  type ServiceName,
  type StackSpec,
} from '../stack/local-stack';

export const SAIPA = '44891482026867833';
const PRICE = 2_850;

// ---------------------------------------------------------------- options and the seeded RNG

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
   * load running until the last one is back (the short run in npm test: every kind, whatever the speed).
   */
  killEachOnce?: boolean;
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
    LOG_LEVEL: 'info',
    RATE_LIMIT_REQUESTS: '1000000',
    ORDER_START_TIMEOUT: '5s',
    SHUTDOWN_GRACE: '10s',
  };
}

// ---------------------------------------------------------------- the app processes

const PROCESS_KINDS: readonly AppProcess[] = ['api', 'worker', 'consumer', 'order-events-consumer'];
const SERVICE_KINDS: readonly ServiceName[] = ['kafka', 'redis', 'temporal'];
export type Kind = AppProcess | ServiceName;

class AppSupervisor {
  private children = new Map<AppProcess, ChildProcess>();
  /** Exits nobody asked for (a process that died of an outage on its own), by kind. */
  readonly selfExits: Record<AppProcess, number> = {
    api: 0,
    worker: 0,
    consumer: 0,
    'order-events-consumer': 0,
  };
  private stopping = false;

  constructor(
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly log: (line: string) => void,
  ) {}

  start(kind: AppProcess): void {
    const [cmd, ...args] = commandOf(kind);
    const out = createWriteStream(join(this.logDir, `${kind}.log`), { flags: 'a' });
    const child = spawn(cmd!, args, { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    this.children.set(kind, child);
    child.once('exit', (code, signal) => {
      if (this.children.get(kind) !== child || this.stopping) return;
      // Not killed by us: it died on its own. Count it and bring it back, as a supervisor would.
      this.selfExits[kind]++;
      this.log(`${kind} exited on its own (code ${code}, signal ${signal}); restarting it`);
      setTimeout(() => {
        if (!this.stopping && this.children.get(kind) === child) this.start(kind);
      }, 1_000);
    });
  }

  async kill(kind: AppProcess): Promise<void> {
    const child = this.children.get(kind);
    this.children.delete(kind);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.entries()].map(async ([, child]) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- a verifier that never dies

/** Answers after 100–1500 ms; the answer is a pure function of the order id (a retry gets the same). */
async function startVerifier(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { orderId } = JSON.parse(Buffer.concat(chunks).toString()) as { orderId: string };
      const h = createHash('sha256').update(orderId).digest();
      const timer = setTimeout(
        () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ verified: h[0]! % 4 !== 0 }));
        },
        100 + (h[1]! * 1_400) / 255,
      );
      res.on('close', () => clearTimeout(timer));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

// ---------------------------------------------------------------- the clients placing orders

interface LogicalOrder {
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

async function request(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; body: OrderAnswer } | undefined> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as OrderAnswer };
  } catch {
    return undefined; // the API was down or cut the connection: the client retries
  }
}

/** Places one order like a careful client: the same Idempotency-Key until it has an answer. */
async function placeOrder(
  base: string,
  apiKey: string,
  o: LogicalOrder,
  stopAt: () => number,
  duplicate: boolean,
): Promise<void> {
  const init = () => ({
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${apiKey}`,
      'Idempotency-Key': o.key,
    },
    body: JSON.stringify({ user: o.user, stockid: SAIPA, quantity: o.quantity }),
  });
  for (;;) {
    o.attempts++;
    const res = await request(`${base}/orders`, init(), 15_000);
    if (res && res.status === 201) {
      if (o.orderId && o.orderId !== res.body.orderId) o.idDrift++;
      o.orderId = res.body.orderId;
      o.firstStatus = res.body.status;
      break;
    }
    if (res && res.status >= 400 && res.status < 500 && res.status !== 429) {
      o.refused = `${res.status} ${res.body.error}`;
      return;
    }
    if (Date.now() > stopAt()) return;
    await sleep(500);
  }
  if (duplicate) {
    // A client that did not see the first answer and sends it again: the same order, never a second.
    for (;;) {
      const res = await request(`${base}/orders`, init(), 15_000);
      if (res && res.status === 201) {
        if (res.body.orderId !== o.orderId) o.idDrift++;
        return;
      }
      if (Date.now() > stopAt()) return;
      await sleep(500);
    }
  }
}

async function awaitFinal(base: string, apiKey: string, o: LogicalOrder, deadline: number): Promise<void> {
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

// ---------------------------------------------------------------- invariants

export interface Invariant {
  name: string;
  checked: number;
  violations: string[];
}

const FINAL_TO_STATE: Record<string, string> = {
  'Success: Buy order complete.': 'settled',
  'Failure: User verification unsuccessful.': 'released',
  'Deny: Not enough credit': 'denied',
};

async function checkInvariants(
  cfg: Config,
  redis: Redis,
  orders: LogicalOrder[],
  initialCredit: Map<string, number>,
): Promise<Invariant[]> {
  const inv = (name: string): Invariant => ({ name, checked: 0, violations: [] });
  const accepted = orders.filter((o) => o.orderId);

  const finals = inv('every accepted order reached exactly one final status, none stuck');
  for (const o of accepted) {
    finals.checked++;
    const state = await redis.hget(orderKey(o.user, o.orderId!), 'state');
    if (!o.finalStatus) finals.violations.push(`${o.orderId}: no final status (state ${state})`);
    else if (FINAL_TO_STATE[o.finalStatus] !== state) {
      finals.violations.push(`${o.orderId}: final "${o.finalStatus}" but its money is ${state}`);
    }
  }
  for (const o of orders.filter((x) => !x.orderId)) {
    finals.checked++;
    finals.violations.push(`order ${o.key} of ${o.user} never accepted (${o.refused ?? 'no answer'})`);
  }
  const temporal = createTemporalClient(cfg);
  try {
    const { count: running } = await temporal.workflow.count(
      'WorkflowType = "buyOrder" AND ExecutionStatus = "Running"',
    );
    if (running > 0) finals.violations.push(`${running} buyOrder workflows still running`);

    const money = inv('money conserved per user: initial = credit + reserved + settled; no reservation left');
    const holdings = inv('holdings equal the settled quantities');
    const idem = inv('Idempotency-Key retries never created a second order');
    for (const [user, initial] of initialCredit) {
      money.checked++;
      holdings.checked++;
      idem.checked++;
      const u = await redis.hgetall(userKey(user));
      const orderKeys = await redis.keys(orderKey(user, '*'));
      let settled = 0;
      let settledQty = 0;
      for (const k of orderKeys) {
        const h = await redis.hgetall(k);
        if (h.state === 'settled') {
          settled += Number(h.amount);
          settledQty += Number(h.quantity);
        }
        if (h.state === 'reserved') money.violations.push(`${k}: still reserved`);
      }
      const credit = Number(u.credit);
      const reserved = Number(u.reserved);
      if (credit + reserved + settled !== initial) {
        money.violations.push(
          `${user}: credit ${credit} + reserved ${reserved} + settled ${settled} ≠ initial ${initial}`,
        );
      }
      if (reserved !== 0) money.violations.push(`${user}: ${reserved} still reserved`);
      const held = Number((await redis.hget(holdingsKey(user), SAIPA)) ?? 0);
      if (held !== settledQty) holdings.violations.push(`${user}: holds ${held}, settled ${settledQty}`);

      const mine = orders.filter((o) => o.user === user);
      const drift = mine.reduce((n, o) => n + o.idDrift, 0);
      if (drift) idem.violations.push(`${user}: ${drift} retries answered with another order id`);
      if (orderKeys.length > mine.length) {
        idem.violations.push(`${user}: ${orderKeys.length} orders in Redis for ${mine.length} keys`);
      }
      // Visibility is eventually consistent: wait for it to agree, then compare.
      const expected = new Set(mine.filter((o) => o.orderId).map((o) => o.orderId)).size;
      let seen = -1;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        seen = (await temporal.workflow.count(`WorkflowType = "buyOrder" AND OrderUser = "${user}"`)).count;
        if (seen >= expected) break;
        await sleep(1_000);
      }
      if (seen !== expected) idem.violations.push(`${user}: ${seen} workflows for ${expected} orders`);
    }
    return [finals, money, holdings, idem];
  } finally {
    await temporal.connection.close();
  }
}

/**
 * The price history of every configured stock: one entry per minute from its first minute to the last
 * minute before the load ended, no gap, no duplicate (hash and index agree), `latest` the newest.
 */
async function checkPrices(
  redis: Redis,
  stocks: readonly string[],
  startedAt: number,
  lastMinute: number,
): Promise<Invariant> {
  const inv: Invariant = {
    name: 'price history: one entry per (stock, minute), no gap, no duplicate; latest is the newest',
    checked: 0,
    violations: [],
  };
  for (const stock of stocks) {
    const scored = await redis.zrange(priceIndexKey(stock), 0, -1, 'WITHSCORES');
    const minutes: number[] = [];
    for (let i = 1; i < scored.length; i += 2) minutes.push(Number(scored[i]));
    const fields = await redis.hkeys(priceHistoryKey(stock));
    if (minutes.length === 0) {
      inv.violations.push(`${stock}: no prices at all`);
      continue;
    }
    const first = minutes[0]!;
    const last = minutes[minutes.length - 1]!;
    if (first > Math.floor(startedAt / 60_000) * 60_000 + 3 * 60_000) {
      inv.violations.push(`${stock}: history starts late, at ${new Date(first).toISOString()}`);
    }
    if (last < lastMinute) {
      inv.violations.push(
        `${stock}: history ends at ${new Date(last).toISOString()}, before ${new Date(lastMinute).toISOString()}`,
      );
    }
    for (let m = first; m <= Math.min(last, lastMinute); m += 60_000) {
      inv.checked++;
      if (!minutes.includes(m)) inv.violations.push(`${stock}: gap at ${new Date(m).toISOString()}`);
    }
    if (new Set(minutes).size !== minutes.length || fields.length !== minutes.length) {
      inv.violations.push(`${stock}: ${minutes.length} index entries, ${fields.length} history entries`);
    }
    const latest = await redis.get(latestPriceKey(stock));
    const latestMinute = latest ? Date.parse((JSON.parse(latest) as PriceTick).minute) : NaN;
    if (latestMinute !== last) {
      inv.violations.push(
        `${stock}: latest is ${latest ? new Date(latestMinute).toISOString() : 'missing'}, newest ${new Date(last).toISOString()}`,
      );
    }
  }
  return inv;
}

/** Waits until every stock has the minute `lastMinute` (the price schedule catches up after outages). */
async function settlePrices(
  redis: Redis,
  stocks: readonly string[],
  lastMinute: number,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    let all = true;
    for (const stock of stocks) {
      if ((await redis.zscore(priceIndexKey(stock), new Date(lastMinute).toISOString())) === null)
        all = false;
    }
    if (all) return;
    await sleep(2_000);
  }
}

// ---------------------------------------------------------------- the run

export interface ChaosReport {
  seed: number;
  kills: Record<Kind, number>;
  selfExits: Record<AppProcess, number>;
  orders: {
    placed: number;
    accepted: number;
    retries: number;
    duplicates: number;
    byFinal: Record<string, number>;
  };
  invariants: Invariant[];
  ok: boolean;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const { log } = opts;
  const rng = seededRandom(opts.seed);
  const env = { ...(process.env as Record<string, string>), ...chaosEnv(opts.portOffset) };
  const verifier = await startVerifier();
  env.VERIFIER_URL = verifier.url;
  const cfg = loadConfig(env);
  const spec: StackSpec = stackSpecFromConfig(cfg);
  rmSync(spec.dir, { recursive: true, force: true });
  const logDir = join(spec.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  log(`seed ${opts.seed}, ${opts.durationMs / 1000} s, stack ${spec.dir}`);
  await startStack(spec, (m) => log(`[stack] ${m}`));

  const redis = createRedis(cfg);
  const initialCredit = new Map<string, number>();
  const keys = new Map<string, string>();
  for (let i = 0; i < opts.users; i++) {
    const user = `chaos-u${i}`;
    const credit = 2_000_000 + i * 500_000;
    await redis.hset(userKey(user), { credit: String(credit), reserved: '0' });
    initialCredit.set(user, credit);
    keys.set(user, await issueApiKey(redis, { id: user, role: 'user' }));
  }
  await redis.set(latestPriceKey(SAIPA), JSON.stringify(flatTick(SAIPA, PRICE)));

  const apps = new AppSupervisor(env, logDir, log);
  const startedAt = Date.now();
  const base = `http://127.0.0.1:${cfg.API_PORT}`;
  const apiUp = () => waitUntil('the API', async () => (await fetch(`${base}/healthz`)).ok, 120_000);
  for (const kind of PROCESS_KINDS) apps.start(kind);
  await apiUp();

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
        await startService(spec, kind as ServiceName, (m) => log(`[stack] ${m}`));
      }
      kills[kind]++;
      await sleep(opts.killEachOnce ? 1_000 + rng() * 2_000 : 2_000 + rng() * 8_000);
    }
    if (opts.killEachOnce) loadEndsAt = Date.now();
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
  // The last minute wholly inside the load; the schedule (and its catch-up) must have recorded it.
  const lastMinute = Math.floor(loadEndedAt / 60_000) * 60_000 - 60_000;
  await settlePrices(redis, cfg.STOCKS, lastMinute, Date.now() + opts.settleMs);
  const invariants = [
    ...(await checkInvariants(cfg, redis, orders, initialCredit)),
    await checkPrices(redis, cfg.STOCKS, startedAt, lastMinute),
  ];

  await apps.stopAll();
  redis.disconnect();
  await verifier.close();
  const { stopStack } = await import('../stack/local-stack');
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

export function formatReport(r: ChaosReport): string {
  const lines = [
    `seed ${r.seed}`,
    `kills survived: ${Object.entries(r.kills)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `processes that died on their own (restarted): ${Object.entries(r.selfExits)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `orders: ${r.orders.placed} placed, ${r.orders.accepted} accepted, ${r.orders.retries} client retries; ` +
      Object.entries(r.orders.byFinal)
        .map(([k, n]) => `${n} × ${k}`)
        .join('; '),
  ];
  for (const inv of r.invariants) {
    lines.push(
      `${inv.violations.length === 0 ? 'OK  ' : 'FAIL'} ${inv.name}: ${inv.checked} checked, ${inv.violations.length} violations`,
    );
    for (const v of inv.violations.slice(0, 20)) lines.push(`       ${v}`);
  }
  lines.push(r.ok ? 'all invariants hold' : 'INVARIANTS VIOLATED');
  return lines.join('\n');
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const seed = Number(option('seed') ?? Date.now() % 1_000_000);
  const durationMs = durationToMs(option('duration') ?? '5m');
  const portOffset = Number(option('port-offset') ?? 370);
  const log = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
  runChaos({
    seed,
    durationMs,
    portOffset,
    rate: Number(option('rate') ?? 4),
    users: 5,
    settleMs: 240_000,
    log,
  }).then(
    (report) => {
      process.stdout.write(`\n${formatReport(report)}\n`);
      process.exit(report.ok ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(`[chaos] failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}
