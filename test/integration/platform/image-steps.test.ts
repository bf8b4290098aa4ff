// The Dockerfile's steps, replayed without Docker (no engine runs here) in a temporary folder that
// stands for the image's /app: `npm run build` into <folder>/dist (the build stage), a clean
// `npm ci --omit=dev` beside it (the deps stage), then the folder made read-only, as the manifests
// mount the image's root, and the processes started with the image's commands: the API answers
// /healthz, /openapi.json and the trading page; the worker polls its task queues from the prebuilt
// workflow bundle (against the test stack, with a price schedule id of its own, deleted afterwards).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { buildApp } from '../../../scripts/ops/build';
import {
  BUILD_DIR,
  WORKFLOW_BUNDLE_FILE,
  compiledCommandOf,
  type AppProcess,
} from '../../../scripts/stack/app-processes';
import { ROOT } from '../../../scripts/stack/spec';
import { IMAGE_STEPS, dockerfileStages, stageSettings } from '../../support/deploy-checks';
import { testConfig, testEnv } from '../../support/test-stack';
import { waitFor } from '../../../scripts/wait';

const cfg = testConfig();
const API_PORT = 29_521 + cfg.TEST_STACK_PORT_OFFSET;
const OPS_PORT = 29_531 + cfg.TEST_STACK_PORT_OFFSET;
const scheduleId = `image-steps-${randomUUID().slice(0, 8)}`;
const app = mkdtempSync(join(tmpdir(), 'bourse-image-'));
const image = stageSettings(dockerfileStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).get('app')!);
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const running: ChildProcess[] = [];
const logs = new Map<ChildProcess, string>();

afterAll(async () => {
  for (const p of running) p.kill('SIGKILL');
  spawnSync('chmod', ['-R', 'u+w', app]);
  rmSync(app, { recursive: true, force: true });
  const client = createTemporalClient(cfg);
  try {
    await client.schedule.getHandle(scheduleId).delete();
  } catch {
    // never created: the worker did not get that far
  } finally {
    await client.connection.close();
  }
});

/** A process as the image starts it: its command from /app (here the folder), the image's ENV. */
function startAsImage(name: AppProcess, env: Record<string, string>): ChildProcess {
  const [cmd, ...args] = compiledCommandOf(name);
  expect(cmd).toBe('node');
  const imageEnv = Object.fromEntries(
    Object.entries(image.env).map(([k, v]) => [k, v.replace(`${image.workdir}/`, `${app}/`)]),
  );
  // No inherited NODE_OPTIONS or PATH tricks: node itself, as in the image.
  const child = spawn(process.execPath, args, {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', HOME: app, ...testEnv(), ...imageEnv, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  logs.set(child, '');
  const keep = (b: Buffer) => logs.set(child, logs.get(child) + b.toString());
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

const status = async (url: string) => (await fetch(url)).status;

test('the build stage: npm run build writes the entry points, the workflow bundle and the page', async () => {
  const built = await buildApp(join(app, BUILD_DIR));
  for (const f of built) expect([f, existsSync(join(app, BUILD_DIR, f))]).toEqual([f, true]);
  expect(image.env.WORKFLOW_BUNDLE).toBe(`${image.workdir}/${BUILD_DIR}/${WORKFLOW_BUNDLE_FILE}`);
  // Only the app's code: no bench, chaos, operator scripts or tests.
  for (const dir of ['test', 'scripts/bench', 'scripts/chaos', 'scripts/ops'])
    expect([dir, existsSync(join(app, BUILD_DIR, dir))]).toEqual([dir, false]);
}, 300_000);

test('the deps stage: a clean npm ci --omit=dev beside the build output, without tsx or dev tools', () => {
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(app, f));
  const [cmd, ...args] = IMAGE_STEPS.installProduction.split(' ');
  const r = spawnSync(cmd, args, { cwd: app, encoding: 'utf8' });
  expect(r.stderr).not.toMatch(/npm error/);
  expect(r.status).toBe(0);
  for (const dev of ['tsx', 'typescript', 'jest', 'esbuild', 'eslint'])
    expect([dev, existsSync(join(app, 'node_modules', dev))]).toEqual([dev, false]);
  // The lockfile is the image's: nothing changed it.
  expect(readFileSync(join(app, 'package-lock.json'), 'utf8')).toBe(
    readFileSync(join(ROOT, 'package-lock.json'), 'utf8'),
  );
  // The image's root is read-only (readOnlyRootFilesystem): so is this folder from here on.
  expect(spawnSync('chmod', ['-R', 'a-w', app]).status).toBe(0);
}, 300_000);

test('node dist/api/server.js answers /healthz, its OpenAPI document and the trading page', async () => {
  const api = startAsImage('api', { API_PORT: String(API_PORT) });
  const base = `http://127.0.0.1:${API_PORT}`;
  await waitFor('the API /healthz', async () => (await status(`${base}/healthz`)) === 200, 60_000, 50);
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { info: { version: string } };
  expect(doc.info.version).toBe(version);
  const page = await fetch(`${base}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<script[^>]+src="\/assets\/app-[\w-]+\.js"/);
  api.kill('SIGTERM');
  expect(await exitOf(api)).toBe(0);
  expect(logs.get(api)).not.toMatch(/EROFS|EACCES/);
}, 120_000);

test('node dist/workers/temporal-worker.js polls its task queues from the prebuilt bundle', async () => {
  const worker = startAsImage('worker', {
    WORKER_OPS_PORT: String(OPS_PORT),
    WORKER_TEMPORAL_METRICS_PORT: String(OPS_PORT + 1),
    PRICE_SCHEDULE_ID: scheduleId,
  });
  await waitFor(
    'the worker /readyz',
    async () => (await status(`http://127.0.0.1:${OPS_PORT}/readyz`)) === 200,
    120_000,
    100,
  );
  const log = logs.get(worker)!;
  expect(log).toContain('"msg":"workflow bundle ready"');
  expect(log).toContain(`"prebuilt":"${join(app, BUILD_DIR, WORKFLOW_BUNDLE_FILE)}"`);
  expect(log).not.toMatch(/Workflow bundle created|webpack/); // nothing bundled at start
  worker.kill('SIGTERM');
  expect(await exitOf(worker)).toBe(0);
  expect(logs.get(worker)).not.toMatch(/EROFS|EACCES/);
}, 180_000);
