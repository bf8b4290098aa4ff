// What docker-compose.yml and deploy/kubernetes are both checked against: the port each app process
// serves /healthz and /readyz on (the setting it reads), and the grace its shutdown needs.
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
