// What docker-compose.yml and deploy/kubernetes are both checked against: the port each app process
// serves /healthz and /readyz on (the setting it reads), and the grace its shutdown needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppProcess } from '../../scripts/stack/app-processes';
import { CONFIG_DEFAULTS, durationToMs } from '../../lib/infra/config';

export type ConfigVariable = keyof typeof CONFIG_DEFAULTS;

/** The setting naming the port of each process's /healthz and /readyz (the API keeps them on its own port). */
export const HEALTH_PORT_VARIABLE: Readonly<Record<AppProcess, ConfigVariable>> = {
  api: 'API_PORT',
  worker: 'WORKER_OPS_PORT',
  consumer: 'CONSUMER_OPS_PORT',
  'order-events-consumer': 'ORDER_EVENTS_CONSUMER_OPS_PORT',
};

export const isConfigVariable = (name: string): name is ConfigVariable => name in CONFIG_DEFAULTS;

/** A setting's value as a process with `env` sees it: its own, or bourse's default. */
export const settingOf = (env: Record<string, string>, name: ConfigVariable): string =>
  env[name] ?? CONFIG_DEFAULTS[name];

/** SHUTDOWN_GRACE in seconds, as a process with `env` reads it. */
export const shutdownGraceSeconds = (env: Record<string, string>): number =>
  durationToMs(settingOf(env, 'SHUTDOWN_GRACE')) / 1000;

/** The Dockerfile's instructions by stage (`FROM … AS <name>`), continuation lines joined, comments out. */
export function dockerfileStages(text: string): Map<string, string[]> {
  const stages = new Map<string, string[]>();
  let current: string[] | undefined;
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)$/i.exec(line);
    if (from) stages.set(from[1], (current = []));
    current?.push(line);
  }
  return stages;
}

/** What a stage sets: WORKDIR, ENV (KEY=VALUE pairs), CMD (exec form), RUN and COPY lines. */
export function stageSettings(instructions: string[]): {
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
  runs: string[];
  copies: string[];
} {
  const of = (keyword: string) =>
    instructions.filter((i) => i.startsWith(`${keyword} `)).map((i) => i.slice(keyword.length + 1).trim());
  const env: Record<string, string> = {};
  for (const e of of('ENV'))
    for (const pair of e.split(/\s+/)) {
      const [k, ...v] = pair.split('=');
      env[k] = v.join('=');
    }
  const cmd = of('CMD').at(-1);
  return {
    workdir: of('WORKDIR').at(-1) ?? '/',
    env,
    cmd: cmd ? (JSON.parse(cmd) as string[]) : [],
    runs: of('RUN'),
    copies: of('COPY'),
  };
}

/** The Dockerfile's RUN steps, which image-steps.test.ts replays in a temporary folder. */
export const IMAGE_STEPS = {
  installAll: 'npm ci --no-audit --no-fund',
  build: 'npm run build',
  installProduction: 'npm ci --omit=dev --no-audit --no-fund',
} as const;

/** The part of deploy/grafana/dashboards/bourse.json the tests read. */
export interface Dashboard {
  panels: { title: string; datasource?: unknown; targets?: { expr: string; datasource?: unknown }[] }[];
  templating: {
    list: {
      name: string;
      type: string;
      query: string | { query: string };
      datasource?: unknown;
      regex?: string;
      multi?: boolean;
      includeAll?: boolean;
    }[];
  };
}

export const readDashboard = (root: string): Dashboard =>
  JSON.parse(readFileSync(join(root, 'deploy', 'grafana', 'dashboards', 'bourse.json'), 'utf8')) as Dashboard;

/** The PromQL inside the dashboard's job variable, a `query_result(…)` whose lines Grafana reads jobs from. */
export function dashboardJobQuery(dashboard: Dashboard): string {
  const v = dashboard.templating.list.find((x) => x.name === 'job');
  const q = v && (typeof v.query === 'string' ? v.query : v.query.query);
  const m = q && /^query_result\((.*)\)$/s.exec(q);
  if (!m) throw new Error(`the dashboard's job variable is not a query_result(…): ${JSON.stringify(q)}`);
  return m[1];
}
