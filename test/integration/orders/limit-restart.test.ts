// Open limit orders survive a stop of the whole system: `npm start` on a stack of its own, limit orders
// placed (a buy that the coming tick crosses, a buy below it, a sell above the market), Ctrl-C (the
// supervisor stops the app processes and the services), `npm start` again on the same data. The orders
// are still Open with their reservations and book entries; a crossing tick brought in by the real
// `npm run prices:import` fills the crossed buy at the tick's price, and the others stay Open.
// Its own stack on TEST_STACK_PORT_OFFSET + 95 (clear of the others: see supervisor-ha.test.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import { createRedis, type Redis } from '../../../lib/infra/redis';
import type { OrderView } from '../../../lib/orders/view';
import { roundToTick, simulatedTick } from '../../../lib/prices/sources/simulated';
import { limitBookKey, sharesReservedKey, WATCHLIST_KEY } from '../../../lib/store/keys';
import { loadStackConfig } from '../../../scripts/stack/stack-config';
import { readPid, ROOT, SERVICES, stackEnv, stackSpecFromConfig } from '../../../scripts/stack/local-stack';
import { sleep, waitFor } from '../../../scripts/wait';
import { putAccount, putHolding, putPrice, userMoney } from '../../support/accounts';
import { bearer, http } from '../../support/http';
import { randomStockId } from '../../support/price-helpers';
import { testConfig } from '../../support/test-stack';
import { startScriptedVerifier, type ScriptedVerifier } from '../../support/verifiers';

const offset = testConfig().TEST_STACK_PORT_OFFSET + 95;
const ops = (port: number) => String(port + offset);
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  ...stackEnv(offset, `.stack/test-limit-restart-${offset}`),
  WORKER_OPS_PORT: ops(29_621),
  WORKER_TEMPORAL_METRICS_PORT: ops(29_622),
  CONSUMER_OPS_PORT: ops(29_623),
  ORDER_EVENTS_CONSUMER_OPS_PORT: ops(29_624),
  PROMETHEUS_PORT: ops(29_630),
  LOG_LEVEL: 'warn',
  SHUTDOWN_GRACE: '10s',
};
const cfg = loadStackConfig(env);
const spec = stackSpecFromConfig(cfg);
const api = `http://127.0.0.1:${cfg.API_PORT}`;
// The simulated source keeps publishing this stock's ticks; the limits lie clear of them (its closing
// price moves well under 1 % in the minutes this test takes), the imported tick between them.
const stock = randomStockId();
const market = simulatedTick(stock, new Date()).price;
const limits = {
  crossed: roundToTick(market * 0.98),
  tick: roundToTick(market * 0.975),
  below: roundToTick(market * 0.965),
  sellAbove: roundToTick(market * 1.03),
};
let verifier: ScriptedVerifier;
let supervisor: ChildProcess | undefined;
let redis: Redis | undefined;
const output: string[] = [];

beforeAll(async () => {
  rmSync(spec.dir, { recursive: true, force: true });
  verifier = await startScriptedVerifier();
});

afterAll(async () => {
  redis?.disconnect();
  if (supervisor) await ctrlC(supervisor);
  await verifier?.close();
  writeFileSync(join(spec.dir, 'supervisor-output.log'), output.join(''));
  for (const svc of SERVICES) {
    const pid = readPid(spec, svc);
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // gone: as it should be
    }
  }
}, 120_000);

/** `npm start` in its own process group, as in a terminal; resolves once its API is ready. */
async function npmStart(): Promise<ChildProcess> {
  const child = spawn('node', ['--import', 'tsx', 'scripts/stack/start.ts'], {
    cwd: ROOT,
    env: { ...env, VERIFIER_URL: verifier.url },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const from = output.length;
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = once(child, 'exit').then(() => {
    throw new Error(`npm start exited:\n${output.slice(from).join('')}`);
  });
  exited.catch(() => undefined);
  await Promise.race([
    exited,
    waitFor(
      'npm start to bring the stack up',
      async () => output.slice(from).join('').includes('Ctrl-C stops everything'),
      180_000,
    ),
  ]);
  await waitFor('the API to be ready', async () => (await http(`${api}/readyz`)).status === 200, 90_000, 500);
  return child;
}

/** Ctrl-C in its terminal: SIGINT to the whole group; resolves when the supervisor has exited. */
async function ctrlC(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(-child.pid!, 'SIGINT');
  const gaveUp = new AbortController();
  await Promise.race([exited, sleep(90_000, undefined, { signal: gaveUp.signal }).catch(() => undefined)]);
  gaveUp.abort();
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is gone: as it should be
  }
}

test('open limit orders survive a stop and start of the whole stack, and a crossing tick then fills only the crossed', async () => {
  supervisor = await npmStart();
  redis = createRedis(cfg);
  const user = 'ok-limit-restart';
  const key = await putAccount(redis, user, 10_000_000);
  await putHolding(redis, user, stock, 50, market);
  await redis.sadd(WATCHLIST_KEY, stock);
  await putPrice(redis, stock, market);
  const place = async (body: Record<string, unknown>) => {
    const r = await http<OrderView>(`${api}/orders`, {
      json: { user, stockid: stock, type: 'limit', timeInForce: 'gtc', ...body },
      headers: bearer(key),
    });
    expect([r.status, r.body.status]).toEqual([201, ORDER_STATUS_TEXT.open]);
    return r.body.orderId;
  };
  const crossed = await place({ quantity: 10, limitPrice: limits.crossed });
  const below = await place({ quantity: 10, limitPrice: limits.below });
  const sell = await place({ side: 'sell', quantity: 20, limitPrice: limits.sellAbove });
  const reserved = 10 * limits.crossed + 10 * limits.below;
  expect(await userMoney(redis, user)).toEqual({ credit: 10_000_000, reserved });

  // Ctrl-C: every process and service of the stack stops; then the same command again.
  redis.disconnect();
  await ctrlC(supervisor);
  expect(SERVICES.map((s) => readPid(spec, s))).toEqual([undefined, undefined, undefined]);
  supervisor = await npmStart();
  redis = createRedis(cfg);

  const read = async (orderId: string) =>
    (await http<OrderView>(`${api}/orders/${orderId}`, { headers: bearer(key) })).body;
  for (const orderId of [crossed, below, sell])
    expect((await read(orderId)).status).toBe(ORDER_STATUS_TEXT.open);
  expect(await userMoney(redis, user)).toEqual({ credit: 10_000_000, reserved });
  expect(await redis.hget(sharesReservedKey(user), stock)).toBe('20');
  expect(await redis.zscore(limitBookKey(stock, 'buy'), crossed)).toBe(String(limits.crossed));
  expect(await redis.zscore(limitBookKey(stock, 'buy'), below)).toBe(String(limits.below));
  expect(await redis.zscore(limitBookKey(stock, 'sell'), sell)).toBe(String(limits.sellAbove));

  // A tick for the current minute, between the two buy limits, through the restarted price consumer.
  const file = join(spec.dir, 'crossing-tick.csv');
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  writeFileSync(file, `stockId,minute,price\n${stock},${minute},${limits.tick}\n`);
  const imported = spawnSync(
    'npm',
    ['run', '--silent', 'prices:import', '--', '--file', file, '--report', `${file}.report.tsv`, '--json'],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 110_000 },
  );
  expect({ status: imported.status, stderr: imported.stderr }).toMatchObject({ status: 0 });

  const filled = await http<OrderView>(`${api}/orders/${crossed}/result?wait=30`, { headers: bearer(key) });
  expect(filled.body).toMatchObject({
    status: ORDER_STATUS_TEXT.succeeded,
    price: limits.tick,
    amount: 10 * limits.tick,
    limitPrice: limits.crossed,
  });
  // Paid at the tick's price; the crossed order's reservation gone, the other's kept.
  await waitFor(
    'the fill to settle',
    async () => (await userMoney(redis!, user)).reserved === 10 * limits.below,
  );
  expect(await userMoney(redis, user)).toEqual({
    credit: 10_000_000 - 10 * limits.tick,
    reserved: 10 * limits.below,
  });
  for (const orderId of [below, sell]) expect((await read(orderId)).status).toBe(ORDER_STATUS_TEXT.open);
  expect(await redis.zscore(limitBookKey(stock, 'buy'), crossed)).toBeNull();
  expect(await redis.zscore(limitBookKey(stock, 'buy'), below)).toBe(String(limits.below));
  expect(await redis.hget(sharesReservedKey(user), stock)).toBe('20');
}, 600_000);
