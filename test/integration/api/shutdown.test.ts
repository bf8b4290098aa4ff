// Graceful shutdown of the real processes (spawned as npm start runs them): on SIGTERM the API finishes
// its in-flight requests and the worker lets a running activity finish, and both exit 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { OrderView } from '../../../lib/orders/view';
import { createRedis } from '../../../lib/infra/redis';
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { commandOf, type AppProcess } from '../../../scripts/stack/app-processes';
import { startApi, type Api } from '../../support/app-harness';
import { putPrice, SAIPA, userMoney } from '../../support/accounts';
import { http } from '../../support/http';
import { eventually, httpVerifier, type OrderWorker, startOrderWorker } from '../../support/order-harness';
import { authOf, newUser, putUser } from '../../support/users';
import { type ScriptedVerifier, SLOW_MS, startScriptedVerifier } from '../../support/verifiers';
import { testConfig, testEnv } from '../../support/test-stack';

const ROOT = resolve(__dirname, '..', '..', '..');
const AMOUNT = 2_850 * 10;

interface Proc {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startProcess(kind: AppProcess, env: Record<string, string>): Proc {
  const [cmd, ...args] = commandOf(kind);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...testEnv(), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output, exited };
}

async function waitForLine(p: Proc, text: string, timeoutMs = 90_000): Promise<void> {
  await eventually(
    `"${text}" in the process output`,
    async () => (p.output.join('').includes(text) ? true : undefined),
    timeoutMs,
  );
}

let verifier: ScriptedVerifier;
const redis = () => localRedis.redis;
let localRedis: { redis: OrderWorker['redis'] };
let spawned: Proc[] = [];
let inProcess: OrderWorker | undefined;
let api: Api | undefined;

beforeAll(async () => {
  verifier = await startScriptedVerifier();
  localRedis = { redis: createRedis(testConfig()) };
  await putPrice(redis(), SAIPA, 2_850);
});

afterEach(async () => {
  for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  spawned = [];
  await inProcess?.stop();
  inProcess = undefined;
  await api?.close();
  api = undefined;
});

afterAll(async () => {
  await verifier?.close();
  localRedis?.redis.disconnect();
});

test('API: SIGTERM lets an in-flight POST finish, answers a parked long poll, refuses new connections, exits 0', async () => {
  const port = testConfig().API_PORT;
  const proc = startProcess('api', { ORDER_START_TIMEOUT: '60s', SHUTDOWN_GRACE: '60s' });
  spawned.push(proc);
  await waitForLine(proc, '"msg":"listening"');
  const base = `http://127.0.0.1:${port}`;

  // Order A is in progress and will stay so while no worker runs: a long poll on it parks.
  inProcess = await startOrderWorker(httpVerifier(verifier.url));
  const a = newUser('slow'); // its verification is cut by the worker's stop, so it waits for the next
  await putUser(redis(), a, 1_000_000);
  const placedA = await http<OrderView>(`${base}/orders`, {
    json: { user: a, stockid: SAIPA, quantity: 10 },
    headers: authOf(a),
  });
  expect(placedA.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  await inProcess.stop();
  inProcess = undefined;
  const longPoll = http<OrderView & { waitedMs: number }>(
    `${base}/orders/${placedA.body.orderId}/result?wait=50`,
    { headers: authOf(a) },
  );

  // Order B's POST is in flight: with no worker its credit check cannot run yet.
  const b = newUser('ok');
  await putUser(redis(), b, 1_000_000);
  const postB = http<OrderView>(`${base}/orders`, {
    json: { user: b, stockid: SAIPA, quantity: 10 },
    headers: { ...authOf(b), 'Idempotency-Key': 'in-flight-at-sigterm' },
  });
  await new Promise((r) => setTimeout(r, 1_500)); // both requests have reached the API
  const signalledAt = Date.now();
  proc.child.kill('SIGTERM');

  // The long poll answers at once with the current state (final = false), not a dropped connection.
  const polled = await longPoll;
  expect(polled.status).toBe(200);
  expect(polled.body).toEqual(
    expect.objectContaining({ final: false, status: ORDER_STATUS_TEXT.inProgress }),
  );
  expect(Date.now() - signalledAt).toBeLessThan(20_000);

  // New connections are refused while the POST is still being finished.
  await waitForLine(proc, '"msg":"shutting down"');
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();

  // A worker comes back: the in-flight POST completes with its answer, then the API exits 0.
  inProcess = await startOrderWorker(httpVerifier(verifier.url));
  const answeredB = await postB;
  expect(answeredB.status).toBe(201);
  expect(answeredB.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  expect(await proc.exited).toBe(0);
  expect(proc.output.join('')).not.toContain('graceful shutdown timed out');
  await eventually('order B settled', async () =>
    (await userMoney(redis(), b)).credit === 1_000_000 - AMOUNT ? true : undefined,
  );
}, 180_000);

test('worker: SIGTERM lets a running verification finish (not cancelled and asked again), exits 0', async () => {
  const worker = startProcess('worker', { VERIFIER_URL: verifier.url, SHUTDOWN_GRACE: '30s' });
  spawned.push(worker);
  await waitForLine(worker, '"msg":"started"');
  api = await startApi(testConfig({ ORDER_START_TIMEOUT: '60s' }));
  const user = newUser('slow'); // the verifier answers after SLOW_MS
  await putUser(redis(), user, 1_000_000);
  const placed = await http<OrderView>(`${api.url}/orders`, {
    json: { user, stockid: SAIPA, quantity: 10 },
    headers: authOf(user),
  });
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  const orderId = placed.body.orderId;
  await eventually('the verification running', async () =>
    verifier.requests.includes(orderId) ? true : undefined,
  );
  const signalledAt = Date.now();
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  process.stderr.write(`[shutdown] worker drained and exited in ${Date.now() - signalledAt} ms\n`);
  const lines = worker.output
    .join('')
    .split('\n')
    .filter((l) => l.includes(orderId));
  expect(lines.some((l) => l.includes('"msg":"user verification answered"'))).toBe(true);
  expect(lines.some((l) => l.includes('user verification stopped'))).toBe(false);

  // The order finishes on the next worker, and the verifier was asked exactly once.
  inProcess = await startOrderWorker(httpVerifier(verifier.url));
  const final = await http<OrderView>(`${api.url}/orders/${orderId}/result?wait=50`, {
    headers: authOf(user),
  });
  expect(final.body.status).toBe(ORDER_STATUS_TEXT.succeeded);
  expect(verifier.requests.filter((id) => id === orderId)).toHaveLength(1);
  expect(await userMoney(redis(), user)).toEqual({ credit: 1_000_000 - AMOUNT, reserved: 0 });
  expect(SLOW_MS).toBeGreaterThan(0);
}, 180_000);
