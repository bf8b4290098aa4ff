// The app's long-running processes: `npm start` runs exactly these from the TypeScript; the image
// (Dockerfile, docker-compose.yml, deploy/kubernetes) runs the same files compiled by `npm run build`.
// Either way one `node` process (no wrapper), so a signal reaches the app itself.
import type { Config } from '../../lib/infra/config';
import { nodeBinary } from './tools';

export const APP_PROCESSES = {
  worker: 'workers/temporal-worker.ts',
  consumer: 'workers/price-consumer.ts',
  'order-events-consumer': 'workers/order-events-consumer.ts',
  api: 'api/server.ts',
} as const;

export type AppProcess = keyof typeof APP_PROCESSES;

/** The one-shot set-up of a fresh deployment (Kafka topics, Temporal search attributes). */
export const SETUP_ENTRY = 'scripts/stack/setup.ts';

/**
 * The command line of a process, run from the project root (`npm start`: TypeScript through tsx), on
 * the pinned Node (.node-version) whatever Node runs the stack itself.
 */
export const commandOf = (name: AppProcess): string[] => [
  nodeBinary(),
  '--import',
  'tsx',
  APP_PROCESSES[name],
];

/** The folder `npm run build` compiles into, relative to the project root (the image's /app). */
export const BUILD_DIR = 'dist';

/** The prebuilt workflow bundle inside BUILD_DIR: the image's WORKFLOW_BUNDLE. */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/** Where `npm run build` puts a source file's JavaScript: `api/server.ts` → `dist/api/server.js`. */
export const compiledEntry = (source: string): string => `${BUILD_DIR}/${source.replace(/\.ts$/, '.js')}`;

/** The command line of a process in the image (from /app): the compiled JavaScript, no tsx. */
export const compiledCommandOf = (name: AppProcess): string[] => ['node', compiledEntry(APP_PROCESSES[name])];

/** The image's one-shot set-up command. */
export const compiledSetupCommand = (): string[] => ['node', compiledEntry(SETUP_ENTRY)];

/** One running copy of a process: the HA layout runs two of each (instance 1 and 2). */
export interface AppInstance {
  kind: AppProcess;
  instance: number;
}

/** `api` for the first copy (the single layout's name), `api-2` for its twin. */
export const instanceName = ({ kind, instance }: AppInstance) =>
  instance === 1 ? kind : `${kind}-${instance}`;

/**
 * The settings that set a copy apart from its twin: its ports. The second API listens on API_PORT + 1
 * (a load balancer in front spreads over both), a second worker's or consumer's ops ports are its
 * twin's + 10. Everything else (consumer groups, task queues) is shared: twins split the work.
 */
export function instanceEnv(cfg: Config, { kind, instance }: AppInstance): Record<string, string> {
  if (instance === 1) return {};
  const shift = (port: number, by: number) => String(port + by * (instance - 1));
  if (kind === 'api') return { API_PORT: shift(cfg.API_PORT, 1) };
  if (kind === 'worker') {
    return {
      WORKER_OPS_PORT: shift(cfg.WORKER_OPS_PORT, 10),
      WORKER_TEMPORAL_METRICS_PORT: shift(cfg.WORKER_TEMPORAL_METRICS_PORT, 10),
    };
  }
  if (kind === 'consumer') return { CONSUMER_OPS_PORT: shift(cfg.CONSUMER_OPS_PORT, 10) };
  return { ORDER_EVENTS_CONSUMER_OPS_PORT: shift(cfg.ORDER_EVENTS_CONSUMER_OPS_PORT, 10) };
}

/** Where a copy answers /healthz: the API's own port, or its ops port. */
export function healthPort(cfg: Config, { kind, instance }: AppInstance): number {
  const twin = instance - 1;
  if (kind === 'api') return cfg.API_PORT + twin;
  if (kind === 'worker') return cfg.WORKER_OPS_PORT + 10 * twin;
  if (kind === 'consumer') return cfg.CONSUMER_OPS_PORT + 10 * twin;
  return cfg.ORDER_EVENTS_CONSUMER_OPS_PORT + 10 * twin;
}

/**
 * The `npm start` supervisor's own ops port (/metrics with its restart counters): the one after the
 * app processes' (9101–9104 by default; their twins' are +10), so it needs no setting of its own.
 */
export const supervisorOpsPort = (cfg: Config) => cfg.ORDER_EVENTS_CONSUMER_OPS_PORT + 1;
