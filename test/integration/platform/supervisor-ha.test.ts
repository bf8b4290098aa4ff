// `npm start -- --ha` as a process manager (issue 28): while orders flow through both APIs (a client
// that fails over to the other API on a refused connection or a 503, with the same Idempotency-Key),
// one Kafka broker, the Redis master holding the users' keys, the second API and the first worker are
// each SIGKILLed once by pid. Nobody restarts them but the supervisor: each must come back by itself
// (a new pid, counted in the supervisor's /metrics), every order must be answered and final, money and
// holdings consistent, and no answer a 5xx other than 503. A clean start logs no error line.
// Its own stack on TEST_STACK_PORT_OFFSET + 60 (Kafka +60..+65, Redis +60..+65: clear of the test
// stack's +0, chaos-ha's +20..+42, the supervisor test's +50, chaos's +70, kafka-ha's +85..+90).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig } from '../../../scripts/stack/stack-config';
import { createRedis, type Redis } from '../../../lib/infra/redis';
import { userKey } from '../../../lib/store/keys';
import { awaitFinal, Balancer, placeOrder, type LogicalOrder } from '../../../scripts/chaos/clients';
import { checkOrderInvariants, checkServerErrors } from '../../../scripts/chaos/invariants';
import { checkLedger, type Opening } from '../../../scripts/chaos/ledger-invariant';
import { checkOrderListing } from '../../../scripts/chaos/list-invariant';
import { healthPort, supervisorOpsPort } from '../../../scripts/stack/app-processes';
import {
  haEnv,
  readPid,
  ROOT,
  stackEnv,
  stackServices,
  stackSpecFromConfig,
} from '../../../scripts/stack/local-stack';
import { readNodePid, redisSlotMaster } from '../../../scripts/stack/redis-cluster';
import { ask } from '../../../scripts/stack/redis-cluster-state';
import { putAccount, putPrice, SAIPA } from '../../support/accounts';
import { testConfig } from '../../support/test-stack';
import { startHashedVerifier, type VerifierServer } from '../../support/verifiers';
import { sleep, waitFor } from '../../../scripts/wait';

const offset = testConfig().TEST_STACK_PORT_OFFSET + 60;
const ops = (port: number) => String(port + offset);
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  ...stackEnv(offset, `.stack/test-supervisor-ha-${offset}`),
  // Ops ports of their own (the twins' are +10, the supervisor's after the fourth).
  WORKER_OPS_PORT: ops(29_611),
  WORKER_TEMPORAL_METRICS_PORT: ops(29_612),
  CONSUMER_OPS_PORT: ops(29_613),
  ORDER_EVENTS_CONSUMER_OPS_PORT: ops(29_614),
  PROMETHEUS_PORT: ops(29_690),
  LOG_LEVEL: 'info',
  RATE_LIMIT_REQUESTS: '1000000',
  SHUTDOWN_GRACE: '10s',
  PRICE_CONSUMER_SESSION_TIMEOUT: '10s',
  ORDER_EVENTS_CONSUMER_SESSION_TIMEOUT: '10s',
};
// What start.ts makes of it with --ha.
const cfg = loadStackConfig({ ...env, ...haEnv(loadStackConfig(env)) });
const spec = stackSpecFromConfig(cfg);
const cluster = spec.redisCluster!;
const apiBases = [1, 2].map((instance) => `http://127.0.0.1:${healthPort(cfg, { kind: 'api', instance })}`);

let verifier: VerifierServer | undefined;
let supervisor: ChildProcess | undefined;
let redis: Redis | undefined;
const output: string[] = [];
const log = (line: string) => process.stderr.write(`[supervisor-ha] ${line}\n`);

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The supervisor's child running an app process whose environment has `marker` (e.g. API_PORT=…). */
function appPid(file: string, marker: string): number | undefined {
  const children = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(supervisor!.pid)], {
    encoding: 'utf8',
  }).stdout.split('\n');
  for (const line of children.filter((l) => l.includes(file))) {
    const pid = Number(line.trim().split(/\s+/)[0]);
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

beforeAll(async () => {
  rmSync(spec.dir, { recursive: true, force: true });
  verifier = await startHashedVerifier();
});

afterAll(async () => {
  redis?.disconnect();
  await verifier?.close();
  if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
    const exited = once(supervisor, 'exit');
    process.kill(-supervisor.pid!, 'SIGINT');
    await Promise.race([exited, sleep(60_000)]);
  }
  // The supervisor's output, for a look after a failure.
  writeFileSync(join(spec.dir, 'supervisor-output.log'), output.join(''));
  // Whatever the test saw, leave nothing of this stack running.
  try {
    if (supervisor) process.kill(-supervisor.pid!, 'SIGKILL');
  } catch {
    // the group is gone: as it should be
  }
  const pids = [
    ...stackServices(spec).map((s) => readPid(spec, s)),
    ...cluster.ports.map((p) => readNodePid(cluster, p)),
  ];
  for (const pid of pids) if (alive(pid)) process.kill(pid!, 'SIGKILL');
}, 120_000);

test('npm start --ha restarts a killed broker, Redis master, API and worker by itself; every order is answered and final', async () => {
  const startedAt = Date.now();
  supervisor = spawn('node', ['--import', 'tsx', 'scripts/stack/start.ts', '--ha'], {
    cwd: ROOT,
    env: { ...env, VERIFIER_URL: verifier!.url },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  supervisor.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  supervisor.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const said = () => output.join('');
  const sup = supervisor;
  await waitFor(
    'the supervisor to start the HA stack and the app processes',
    async () => {
      if (sup.exitCode !== null) throw new Error(`supervisor exited:\n${said()}`);
      return said().includes('Ctrl-C stops everything');
    },
    300_000,
    500,
  );
  log(`stack and apps started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  redis = createRedis(cfg);
  const users = ['ha-u0', 'ha-u1'];
  const keys = new Map<string, string>();
  const opening = new Map<string, Opening>();
  for (const user of users) {
    keys.set(user, await putAccount(redis, user, 3_000_000));
    opening.set(user, { credit: 3_000_000, shares: {} });
  }
  await putPrice(redis, SAIPA, 2_850);
  await Promise.all(
    [1, 2].map((instance) =>
      waitFor(
        `worker ${instance} ready`,
        async () =>
          (await fetch(`http://127.0.0.1:${healthPort(cfg, { kind: 'worker', instance })}/readyz`)).ok,
        180_000,
        500,
      ),
    ),
  );
  // A clean start: nothing an operator must act on.
  const errorsAtStart = said()
    .split('\n')
    .filter((l) => l.includes('"level":"error"'));
  expect(errorsAtStart).toEqual([]);

  // Orders at 3/s through both APIs, each retried with its key until answered.
  const lb = new Balancer(apiBases);
  const orders: LogicalOrder[] = [];
  const placing: Promise<void>[] = [];
  let loadOn = true;
  let giveUpAt = Number.POSITIVE_INFINITY;
  const load = (async () => {
    for (let n = 0; loadOn; n++) {
      const user = users[n % users.length];
      const o: LogicalOrder = {
        user,
        key: `ha-${startedAt}-${n}`,
        side: 'buy',
        quantity: 1 + (n % 7),
        attempts: 0,
        idDrift: 0,
      };
      orders.push(o);
      placing.push(placeOrder(lb, keys.get(user)!, o, () => giveUpAt, n % 5 === 0));
      await sleep(333);
    }
  })();

  // The Redis master of the first user's keys: its money writes wait for the failover.
  const slot = Number(await ask(cluster.ports[0], 'CLUSTER', 'KEYSLOT', userKey(users[0])));
  const master = (await redisSlotMaster(cluster, slot))!;
  const victims = [
    { name: 'kafka-2', pid: () => readPid(spec, 'kafka-2'), ready: async () => true },
    { name: `redis-${master}`, pid: () => readNodePid(cluster, master), ready: async () => true },
    {
      name: 'api-2',
      pid: () => appPid('api/server.ts', `API_PORT=${cfg.API_PORT + 1}`),
      ready: async () => (await fetch(`${apiBases[1]}/healthz`)).ok,
    },
    {
      name: 'worker',
      pid: () => appPid('workers/temporal-worker.ts', `WORKER_OPS_PORT=${cfg.WORKER_OPS_PORT}`),
      ready: async () =>
        (await fetch(`http://127.0.0.1:${healthPort(cfg, { kind: 'worker', instance: 1 })}/readyz`)).ok,
    },
  ];
  const killed = new Map<string, { pid: number; at: number }>();
  await sleep(3_000);
  for (const v of victims) {
    const pid = v.pid();
    expect({ victim: v.name, pid: alive(pid) }).toEqual({ victim: v.name, pid: true });
    process.kill(pid!, 'SIGKILL');
    killed.set(v.name, { pid: pid!, at: Date.now() });
    log(`t+${((Date.now() - startedAt) / 1000).toFixed(1)} s SIGKILL ${v.name} (pid ${pid})`);
    await sleep(3_000);
  }
  // Each back by itself: a new pid, running and serving, and the supervisor said so.
  await Promise.all(
    victims.map(async (v) => {
      const back = await waitFor(
        `${v.name} back`,
        async () => {
          const pid = v.pid();
          return (
            pid &&
            pid !== killed.get(v.name)!.pid &&
            alive(pid) &&
            (await v.ready()) &&
            said().includes(`${v.name} restarted`)
          );
        },
        180_000,
        500,
      );
      log(`${v.name} back after ${((Date.now() - killed.get(v.name)!.at) / 1000).toFixed(1)} s`);
      return back;
    }),
  );
  await sleep(3_000);
  loadOn = false;
  await load;
  giveUpAt = Date.now() + 60_000;
  await Promise.all(placing);
  const deadline = Date.now() + 120_000;
  await Promise.all(
    orders.filter((o) => o.orderId).map((o) => awaitFinal(lb, keys.get(o.user)!, o, deadline)),
  );

  const a = lb.orders;
  log(
    `${orders.length} orders, ${orders.filter((o) => o.orderId).length} answered; ${a.requests} requests: ` +
      `${a.answered} answered, ${a.later} later, ${a.unanswered} unanswered, ${a.failovers} failovers; ` +
      `client retries ${orders.reduce((n, o) => n + o.attempts - 1, 0)}`,
  );
  expect(orders.filter((o) => !o.orderId).map((o) => `${o.key}: ${o.refused ?? 'no answer'}`)).toEqual([]);
  const invariants = [
    ...(await checkOrderInvariants(cfg, redis, orders, users)),
    await checkOrderListing(apiBases[0], keys, orders, Date.now() + 60_000),
    ...(await checkLedger(cfg, redis, apiBases[0], keys, orders, opening)),
    checkServerErrors(lb.answers, lb.serverErrors),
  ];
  expect(invariants.map((i) => [i.name, i.violations])).toEqual(invariants.map((i) => [i.name, []]));

  // The supervisor counted each restart, and never gave up on anything.
  const metrics = await (await fetch(`http://127.0.0.1:${supervisorOpsPort(cfg)}/metrics`)).text();
  for (const v of victims) {
    expect(metrics).toContain(`bourse_supervisor_restarts_total{process="${v.name}"} 1`);
  }
  expect(metrics).not.toMatch(/bourse_supervisor_given_up\{[^}]*\} 1/);
  expect(said()).toContain('!!! api-2: api/server.ts exited with SIGKILL, unexpectedly; restarting in 1 s');
  expect(said()).not.toContain('stopping everything');
  log(`whole run ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}, 900_000);
