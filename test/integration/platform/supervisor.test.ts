// `npm start`'s supervisor on a stack of its own: Ctrl-C while a verification is in flight (so the
// worker would drain for SHUTDOWN_GRACE), then a second Ctrl-C at once, and nothing of that stack is
// left running — no service, no app process, no port (issue 10, item 16).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createRedis } from '../../../lib/infra/redis';
import { loadStackConfig } from '../../../scripts/stack/stack-config';
import {
  portOpen,
  readPid,
  ROOT,
  SERVICES,
  servicePorts,
  stackEnv,
  stackSpecFromConfig,
} from '../../../scripts/stack/local-stack';
import { APP_PROCESSES } from '../../../scripts/stack/app-processes';
import { putAccount, putPrice, SAIPA } from '../../support/accounts';
import { bearer, http } from '../../support/http';
import { testConfig } from '../../support/test-stack';
import { startScriptedVerifier, type ScriptedVerifier } from '../../support/verifiers';
import { waitFor } from '../../../scripts/wait';

const offset = testConfig().TEST_STACK_PORT_OFFSET + 50;
const env = {
  ...(process.env as Record<string, string>),
  ...stackEnv(offset, `.stack/test-supervisor-${offset}`),
  LOG_LEVEL: 'warn',
  // Long enough that only the second Ctrl-C can explain a quick stop.
  SHUTDOWN_GRACE: '90s',
};
const cfg = loadStackConfig(env);
const spec = stackSpecFromConfig(cfg);
let verifier: ScriptedVerifier;
let group: number | undefined;

beforeAll(async () => {
  rmSync(spec.dir, { recursive: true, force: true });
  verifier = await startScriptedVerifier();
});

afterAll(async () => {
  await verifier?.close();
  // Whatever the test saw, leave nothing behind for the next run.
  try {
    if (group) process.kill(-group, 'SIGKILL');
  } catch {
    // the group is gone: as it should be
  }
  for (const svc of SERVICES) {
    const pid = readPid(spec, svc);
    if (pid) process.kill(pid, 'SIGKILL');
  }
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('two quick Ctrl-Cs while a verification is in flight stop every process and service it started', async () => {
  const output: string[] = [];
  // Its own process group, as in a terminal: a Ctrl-C there reaches the supervisor and its children.
  const supervisor = spawn('node', ['--import', 'tsx', 'scripts/stack/start.ts'], {
    cwd: ROOT,
    env: { ...env, VERIFIER_URL: verifier.url },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  group = supervisor.pid;
  supervisor.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  supervisor.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = once(supervisor, 'exit');
  const servicePids = await waitFor(
    'the supervisor to start the stack and the app processes',
    async () => {
      if (supervisor.exitCode !== null) throw new Error(`supervisor exited:\n${output.join('')}`);
      return output.join('').includes('Ctrl-C stops everything')
        ? SERVICES.map((s) => readPid(spec, s)!)
        : undefined;
    },
    150_000,
  );
  // Its children that run an app process (the others: the services, tsx's esbuild).
  const appPids = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(supervisor.pid)], {
    encoding: 'utf8',
  })
    .stdout.split('\n')
    .filter((line) => Object.values(APP_PROCESSES).some((file) => line.includes(file)))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
  expect(appPids).toHaveLength(Object.keys(APP_PROCESSES).length);

  // An order whose verification never answers: the worker is mid-activity when the Ctrl-C comes.
  const redis = createRedis(cfg);
  const user = 'stall-supervisor';
  const key = await putAccount(redis, user, 1_000_000);
  await putPrice(redis, SAIPA, 2_850);
  redis.disconnect();
  await waitFor(
    'an accepted order',
    async () =>
      (
        await http(`http://127.0.0.1:${cfg.API_PORT}/orders`, {
          json: { user, stockid: SAIPA, quantity: 1 },
          headers: { ...bearer(key), 'Idempotency-Key': 'supervisor-test' },
        })
      ).status === 201,
    90_000,
    500,
  );
  await waitFor('the verification in flight', async () => verifier.requests.length > 0, 30_000);

  const signalled = Date.now();
  process.kill(-supervisor.pid!, 'SIGINT'); // Ctrl-C: the whole group
  await new Promise((r) => setTimeout(r, 300));
  process.kill(supervisor.pid!, 'SIGINT'); // and again, to the supervisor
  await Promise.race([exited, new Promise((r) => setTimeout(r, 45_000))]);
  const log = output.join('');

  expect({ exited: supervisor.exitCode !== null || supervisor.signalCode !== null, log }).toMatchObject({
    exited: true,
  });
  expect(Date.now() - signalled).toBeLessThan(45_000);
  expect(log).toContain('stopping the stack');
  expect([...servicePids, ...appPids].filter(alive)).toEqual([]);
  const ports = [...SERVICES.flatMap((s) => servicePorts(spec, s)), cfg.API_PORT];
  const open = (await Promise.all(ports.map(async (p) => ((await portOpen(p)) ? p : undefined)))).filter(
    Boolean,
  );
  expect(open).toEqual([]);
  expect(SERVICES.map((s) => readPid(spec, s))).toEqual([undefined, undefined, undefined]);
  // The services were stopped by the supervisor, not found dead: each pid file is gone.
  expect(() => readFileSync(`${spec.dir}/run/redis.pid`)).toThrow();
}, 300_000);
