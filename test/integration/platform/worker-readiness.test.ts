// A worker process is ready (GET /readyz 200) only once it polls its task queues, not as soon as its
// ops port answers: between the two it builds its workflow bundle (seconds; a minute on a loaded
// host). Kubernetes' rollouts and the HA chaos run wait for /readyz before they take its twin away,
// so a worker still bundling must say so. The worker runs as a real process against the test stack,
// with a price schedule id of its own (deleted afterwards), and is stopped as soon as it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { ROOT } from '../../../scripts/stack/local-stack';
import { sleep } from '../../support/price-helpers';
import { testConfig, testEnv } from '../../support/test-stack';

const cfg = testConfig();
const OPS_PORT = 29_501 + cfg.TEST_STACK_PORT_OFFSET;
const scheduleId = `readiness-${randomUUID().slice(0, 8)}`;

let worker: ChildProcess | undefined;

afterAll(async () => {
  worker?.kill('SIGKILL');
  const client = createTemporalClient(cfg);
  try {
    await client.schedule.getHandle(scheduleId).delete();
  } catch {
    // never created: the worker did not get that far
  } finally {
    await client.connection.close();
  }
});

test('/readyz is 503 while the worker builds its workflow bundle, 200 once it polls', async () => {
  worker = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'workers', 'temporal-worker.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...testEnv(),
      WORKER_OPS_PORT: String(OPS_PORT),
      WORKER_TEMPORAL_METRICS_PORT: String(OPS_PORT + 1),
      PRICE_SCHEDULE_ID: scheduleId,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const get = async (path: string) => {
    try {
      const res = await fetch(`http://127.0.0.1:${OPS_PORT}${path}`);
      return { status: res.status, body: await res.json().catch(() => undefined) };
    } catch {
      return undefined; // not listening yet
    }
  };
  const deadline = Date.now() + 120_000;
  while ((await get('/healthz'))?.status !== 200) {
    if (Date.now() > deadline) throw new Error('the worker never answered /healthz');
    await sleep(25);
  }
  // Alive: the first answers of /readyz, until it is ready.
  const answers: { status: number; body: unknown }[] = [];
  for (;;) {
    const a = await get('/readyz');
    if (a) answers.push(a);
    if (a?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`never ready: ${JSON.stringify(answers.at(-1))}`);
    await sleep(25);
  }
  expect(answers[0]).toEqual({
    status: 503,
    body: { ready: false, workers: 'starting: bundling the workflows' },
  });
  expect(answers.at(-1)?.body).toMatchObject({ ready: true });
});
