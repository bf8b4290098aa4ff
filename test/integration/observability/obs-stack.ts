// The observability tests' stack: the real app processes (worker, both consumers, API) as child
// processes on the test stack, each with its ops port, and the real Prometheus scraping them every
// second; plus a small client of Prometheus's HTTP API.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { parse } from 'yaml';
import { PRICE_FETCH_WORKFLOW } from '../../../lib/contracts/price-fetch';
import { TASK_QUEUES } from '../../../lib/contracts/task-queues';
import { commandOf, type AppProcess } from '../../../scripts/stack/app-processes';
import { ROOT } from '../../../scripts/stack/local-stack';
import { readDashboard } from '../../support/deploy-checks';
import {
  PROMETHEUS_CONFIG,
  PROMETHEUS_RULES,
  localScrapeTargets,
  startPrometheus,
  type RunningPrometheus,
} from '../../../scripts/stack/prometheus';
import { testConfig, testEnv } from '../../support/test-stack';
import { waitFor } from '../../../scripts/wait';

export interface ObsPorts {
  api: number;
  worker: number;
  workerTemporal: number;
  consumer: number;
  orderEventsConsumer: number;
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
    orderEventsConsumer: 19104 + offset,
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
    ORDER_EVENTS_CONSUMER_OPS_PORT: String(ports.orderEventsConsumer),
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
      children.set(name, spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', out, out] }));
    },
    stop,
    async stopAll() {
      await Promise.all([...children.keys()].map(stop));
    },
  };
}

export async function startTestPrometheus(): Promise<RunningPrometheus> {
  const ports = obsPorts();
  return startPrometheus(
    {
      dir: join(resolve(ROOT, testConfig().STACK_DIR), 'obs'),
      port: ports.prometheus,
      scrapeInterval: '1s',
      // Every job of deploy/prometheus/prometheus.yml, on the ports appProcesses gives the processes.
      targets: localScrapeTargets(
        {
          API_PORT: ports.api,
          WORKER_OPS_PORT: ports.worker,
          WORKER_TEMPORAL_METRICS_PORT: ports.workerTemporal,
          CONSUMER_OPS_PORT: ports.consumer,
          ORDER_EVENTS_CONSUMER_OPS_PORT: ports.orderEventsConsumer,
        },
        ports.prometheus,
      ),
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
    const res = await fetch(`${url}${path}?${new URLSearchParams(params).toString()}`);
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
    /** The value of `expr`, 0 when it yields no sample. */
    async v(expr: string): Promise<number> {
      return (await this.value(expr)) ?? 0;
    },
    /** Waits until `expr` (one sample) equals `want`; returns it. */
    async until(expr: string, want: number, timeoutMs = 60_000): Promise<number> {
      let last: number | undefined;
      try {
        return await waitFor(
          `${expr} == ${want}`,
          async () => {
            last = await this.value(expr);
            return last === want ? last : undefined;
          },
          timeoutMs,
          500,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; last value ${last}`, { cause: err });
      }
    },
  };
}
export type PromClient = ReturnType<typeof promClient>;

/** The job names of deploy/prometheus/prometheus.yml. */
export function scrapeJobs(): string[] {
  const doc = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as { scrape_configs: { job_name: string }[] };
  return doc.scrape_configs.map((j) => j.job_name);
}

type Rules = { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] };
const rules = () => parse(readFileSync(PROMETHEUS_RULES, 'utf8')) as Rules;

/** The series the rules record themselves. */
export const recordedNames = (): string[] =>
  rules().groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));

/** Every PromQL expression of the rules and the dashboard. */
export function ruleAndDashboardExpressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const g of rules().groups)
    for (const r of g.rules) out.push({ where: r.record ?? r.alert!, expr: r.expr });
  for (const p of readDashboard(ROOT).panels)
    for (const t of p.targets ?? []) out.push({ where: p.title, expr: t.expr });
  return out;
}

/** Deletes the test's own price schedule and resumes the ones it paused. */
export async function restoreSchedules(temporal: Client, own: string | undefined, paused: string[]) {
  if (own)
    await temporal.schedule
      .getHandle(own)
      .delete()
      .catch(() => undefined);
  for (const id of paused)
    await temporal.schedule
      .getHandle(id)
      .unpause()
      .catch(() => undefined);
}

/** Pauses every running price schedule; answers the ones other than `own` (for restoreSchedules). */
export async function pauseSchedules(temporal: Client, own: string): Promise<string[]> {
  const paused: string[] = [];
  for await (const s of temporal.schedule.list()) {
    const handle = temporal.schedule.getHandle(s.scheduleId);
    if ((await handle.describe()).state.paused) continue;
    await handle.pause('observability test: only its own runs');
    if (s.scheduleId !== own) paused.push(s.scheduleId);
  }
  return paused;
}

/** One run of the price fetch workflow for `minute`, to its end. */
export async function runPriceFetch(temporal: Client, minute: string): Promise<void> {
  await temporal.workflow.execute(PRICE_FETCH_WORKFLOW, {
    taskQueue: TASK_QUEUES.prices,
    workflowId: `obs-price-${minute}-${randomUUID().slice(0, 8)}`,
    args: [{ minute }],
  });
}

/** The ops server on `port` is ready, healthy, and serves the process metrics without a name prefix. */
export async function expectOpsServer(port: number): Promise<void> {
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`ready on ${port}`, async () => (await fetch(`${url}/readyz`)).ok, 120_000);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const text = await (await fetch(`${url}/metrics`)).text();
  expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
  expect(text).not.toMatch(/bourse_api_|bourse_worker_process/);
}
