// The observability tests' stack: the real app processes (worker, price consumer, API) as child
// processes on the test stack, each with its ops port, and the real Prometheus scraping them every
// second; plus a small client of Prometheus's HTTP API.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commandOf, type AppProcess } from '../../../scripts/stack/app-processes';
import { ROOT } from '../../../scripts/stack/local-stack';
import { startPrometheus, type RunningPrometheus } from '../../../scripts/stack/prometheus';
import { testConfig, testEnv } from '../../support/test-stack';

export interface ObsPorts {
  api: number;
  worker: number;
  workerTemporal: number;
  consumer: number;
  prometheus: number;
}

/** Ports beside the test stack's (19092/19093 are Kafka's), shifted by TEST_STACK_PORT_OFFSET. */
export function obsPorts(): ObsPorts {
  const cfg = testConfig();
  const offset = cfg.TEST_STACK_PORT_OFFSET;
  return {
    api: cfg.API_PORT,
    worker: 19101 + offset,
    workerTemporal: 19102 + offset,
    consumer: 19103 + offset,
    prometheus: 19190 + offset,
  };
}

export interface AppProcesses {
  env: Record<string, string>;
  logDir: string;
  start(name: AppProcess): Promise<void>;
  stop(name: AppProcess): Promise<void>;
  stopAll(): Promise<void>;
}

export function appProcesses(overrides: Record<string, string>): AppProcesses {
  const ports = obsPorts();
  const logDir = join(resolve(ROOT, testConfig().STACK_DIR), 'obs', 'logs');
  mkdirSync(logDir, { recursive: true });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...testEnv(),
    LOG_LEVEL: 'warn',
    WORKER_OPS_PORT: String(ports.worker),
    WORKER_TEMPORAL_METRICS_PORT: String(ports.workerTemporal),
    CONSUMER_OPS_PORT: String(ports.consumer),
    PRICE_SCHEDULE_ID: `obs-price-fetch-${randomUUID().slice(0, 8)}`,
    ...overrides,
  };
  const children = new Map<AppProcess, ChildProcess>();
  const stop = async (name: AppProcess) => {
    const child = children.get(name);
    if (!child) return;
    children.delete(name);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    env,
    logDir,
    async start(name) {
      const [cmd, ...args] = commandOf(name);
      const out = openSync(join(logDir, `${name}.log`), 'a');
      children.set(name, spawn(cmd!, args, { cwd: ROOT, env, stdio: ['ignore', out, out] }));
    },
    stop,
    async stopAll() {
      await Promise.all([...children.keys()].map(stop));
    },
  };
}

export async function startTestPrometheus(): Promise<RunningPrometheus> {
  const ports = obsPorts();
  const at = (port: number) => [`127.0.0.1:${port}`];
  return startPrometheus(
    {
      dir: join(resolve(ROOT, testConfig().STACK_DIR), 'obs'),
      port: ports.prometheus,
      scrapeInterval: '1s',
      targets: {
        prometheus: at(ports.prometheus),
        'bourse-api': at(ports.api),
        'bourse-worker': at(ports.worker),
        'bourse-worker-temporal': at(ports.workerTemporal),
        'bourse-price-consumer': at(ports.consumer),
      },
    },
    (m) => process.stderr.write(`[prometheus] ${m}\n`),
  );
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** Prometheus's HTTP API: instant queries and the names of every series it holds. */
export function promClient(url: string) {
  async function get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  }
  return {
    async query(expr: string): Promise<Sample[]> {
      const data = await get<{
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>('/api/v1/query', { query: expr });
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    /** The single value of an expression that yields one sample; undefined if none. */
    async value(expr: string): Promise<number | undefined> {
      const r = await this.query(expr);
      if (r.length > 1) throw new Error(`${expr} yields ${r.length} samples`);
      return r[0]?.value;
    },
    names: () => get<string[]>('/api/v1/label/__name__/values'),
  };
}
export type PromClient = ReturnType<typeof promClient>;
