// The startup scenario: the API and the worker started as `npm start` starts them (TypeScript through
// tsx; the worker bundles its workflows at start) and as the image does (`node dist/…` from
// `npm run build`, the worker on the prebuilt bundle, WORKFLOW_BUNDLE): from spawn to ready (the API's
// /healthz, the worker's /readyz: it polls), the CPU it took to get there and the peak RSS once ready.
// The two ways alternate, `--starts` times each, on the bench stack.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTemporalClient } from '../../lib/infra/temporal';
import type { Config } from '../../lib/infra/config';
import { buildApp } from '../ops/build';
import { stopChild } from '../stack/app-control';
import {
  BUILD_DIR,
  WORKFLOW_BUNDLE_FILE,
  commandOf,
  compiledCommandOf,
  type AppProcess,
} from '../stack/app-processes';
import { ROOT } from '../stack/spec';
import { waitFor } from '../wait';
import { peakRssMiB, say, stats, type Stats } from './bench-lib';
import { TICKS_PER_SECOND, parseStat } from './cpu';
import { BENCH_ENV, BENCH_PORT_OFFSET, STACK_DIR } from './options';

export type StartWay = 'npm start (tsx)' | 'image (node dist/)';
const WAYS: readonly StartWay[] = ['npm start (tsx)', 'image (node dist/)'];
const KINDS = ['api', 'worker'] as const satisfies readonly AppProcess[];

export interface StartSample {
  readyMs: number;
  cpuMs: number;
  peakRssMiB: number;
}

export interface StartupFigures {
  readyMs: Stats;
  cpuMs: Stats;
  peakRssMiB: Stats;
}

/** Each process kind's figures by way, and the image's medians over npm start's (below 1: the image is lighter). */
export interface StartupReport {
  byKind: Record<string, Record<StartWay, StartupFigures>>;
  imageOverTsx: Record<string, { readyMs: number; cpuMs: number; peakRssMiB: number }>;
}

export function startupReport(samples: Record<string, Record<StartWay, StartSample[]>>): StartupReport {
  const byKind: StartupReport['byKind'] = {};
  const imageOverTsx: StartupReport['imageOverTsx'] = {};
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  for (const [kind, ways] of Object.entries(samples)) {
    const of = (way: StartWay): StartupFigures => ({
      readyMs: stats(ways[way].map((s) => s.readyMs)),
      cpuMs: stats(ways[way].map((s) => s.cpuMs)),
      peakRssMiB: stats(ways[way].map((s) => s.peakRssMiB)),
    });
    const tsx = of('npm start (tsx)');
    const image = of('image (node dist/)');
    byKind[kind] = { 'npm start (tsx)': tsx, 'image (node dist/)': image };
    imageOverTsx[kind] = {
      readyMs: ratio(image.readyMs.p50, tsx.readyMs.p50),
      cpuMs: ratio(image.cpuMs.p50, tsx.cpuMs.p50),
      peakRssMiB: ratio(image.peakRssMiB.p50, tsx.peakRssMiB.p50),
    };
  }
  return { byKind, imageOverTsx };
}

/** A process's own CPU time so far (user + system, every thread), in ms. */
function cpuMsOf(pid: number): number {
  const { ticks } = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (ticks * 1000) / TICKS_PER_SECOND;
}

const API_PORT = 23_011 + BENCH_PORT_OFFSET;
const OPS_PORT = 23_021 + BENCH_PORT_OFFSET;
const SCHEDULE_ID = 'bench-startup-prices';

async function startOnce(kind: AppProcess, way: StartWay, buildDir: string): Promise<StartSample> {
  const [cmd, ...args] = way === 'image (node dist/)' ? compiledCommandOf(kind) : commandOf(kind);
  const env: Record<string, string> = {
    ...BENCH_ENV,
    API_PORT: String(API_PORT),
    WORKER_OPS_PORT: String(OPS_PORT),
    WORKER_TEMPORAL_METRICS_PORT: String(OPS_PORT + 1),
    PRICE_SCHEDULE_ID: SCHEDULE_ID,
    WORKFLOW_BUNDLE: way === 'image (node dist/)' ? join(buildDir, WORKFLOW_BUNDLE_FILE) : '',
  };
  // The image's command is relative to its /app, which holds the build as dist/: here the build
  // folder's parent, whose modules resolve from the project's node_modules above it.
  const out = openSync(join(STACK_DIR, 'logs', `startup-${kind}.log`), 'a');
  const child: ChildProcess = spawn(cmd === 'node' ? process.execPath : cmd, args, {
    cwd: way === 'image (node dist/)' ? dirname(buildDir) : ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  closeSync(out); // the child has its own copy
  const started = performance.now();
  const url = kind === 'api' ? `http://127.0.0.1:${API_PORT}/healthz` : `http://127.0.0.1:${OPS_PORT}/readyz`;
  try {
    await waitFor(
      `${kind} (${way}) ready`,
      async () => (await fetch(url).catch(() => undefined))?.status === 200,
      180_000,
      20,
    );
    const readyMs = Math.round(performance.now() - started);
    const sample = { readyMs, cpuMs: cpuMsOf(child.pid!), peakRssMiB: peakRssMiB(child.pid!) ?? NaN };
    say(`startup: ${kind}, ${way}: ready in ${readyMs} ms, ${sample.cpuMs} ms CPU, ${sample.peakRssMiB} MiB`);
    return sample;
  } finally {
    await stopChild(child, 30_000);
  }
}

export async function startup(cfg: Config, starts: number): Promise<StartupReport> {
  const buildDir = join(STACK_DIR, 'image', BUILD_DIR);
  say(`startup: npm run build into ${buildDir}`);
  await buildApp(buildDir);
  const samples: Record<string, Record<StartWay, StartSample[]>> = {};
  try {
    for (const kind of KINDS) {
      samples[kind] = { 'npm start (tsx)': [], 'image (node dist/)': [] };
      for (let i = 0; i < starts; i++)
        for (const way of i % 2 ? [...WAYS].reverse() : WAYS)
          samples[kind][way].push(await startOnce(kind, way, buildDir));
    }
  } finally {
    const client = createTemporalClient(cfg);
    await client.schedule
      .getHandle(SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    await client.connection.close();
  }
  return startupReport(samples);
}

/** The bench table's rows: each kind and way, then the image's medians over npm start's. */
export function startupRows(r: StartupReport): [string, string, string][] {
  const rows: [string, string, string][] = [];
  for (const [kind, ways] of Object.entries(r.byKind)) {
    for (const [way, f] of Object.entries(ways))
      rows.push([
        `startup: ${kind}, ${way}`,
        `ready p50 ${f.readyMs.p50} ms (max ${f.readyMs.max}, n=${f.readyMs.n})`,
        `CPU p50 ${f.cpuMs.p50} ms; peak RSS p50 ${f.peakRssMiB.p50} MiB`,
      ]);
    const x = r.imageOverTsx[kind];
    rows.push([
      `startup: ${kind}, the image over npm start (medians)`,
      `ready ×${x.readyMs}`,
      `CPU ×${x.cpuMs}; peak RSS ×${x.peakRssMiB}`,
    ]);
  }
  return rows;
}
