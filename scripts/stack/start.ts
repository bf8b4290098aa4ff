// `npm start`: the whole system on the local stack, as one supervised command.
// Starts Temporal, Kafka and Redis, then the Temporal worker, the price consumer and the API.
// Ctrl-C (or SIGTERM, SIGHUP) stops everything: the app processes drain, then every service this
// command started stops. A second Ctrl-C stops at once: SIGKILL to the app processes, then the services.
// A process or service that dies on its own is reported loudly and started again after a backoff (1 s,
// 2 s, 4 s, 8 s), in both layouts: one death is no reason to stop the rest. One that dies 5 times within
// a minute is given up on, loudly; the others keep serving. The supervisor's /metrics (on the port after
// the app processes' ops ports, 9105) counts the restarts by process.
import { join } from 'node:path';
import { loadStackConfig, stackConfig } from './stack-config';
import { createRedis } from '../../lib/infra/redis';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { seedDemoData, seedDemoKeys } from '../ops/seed';
import { createLogger } from '../../lib/infra/logger';
import { createSupervisorMetrics } from '../../lib/infra/metrics/supervisor';
import { startOpsServer } from '../../lib/infra/ops-server';
import { APP_PROCESSES, instanceEnv, supervisorOpsPort, type AppProcess } from './app-processes';
import { haEnv, PrerequisiteError, stackSpecFromConfig, startStack, stopStack } from './local-stack';
import { localScrapeTargets, startPrometheus } from './prometheus';
import { ServiceWatcher, watchedServices } from './service-watch';
import { Supervisor } from './supervisor';
import { prebuildWorkflowBundle } from './workflow-bundle';

export const command = {
  usage: 'npm start',
  summary: 'the local stack and the app processes, supervised; Ctrl-C stops all, a second Ctrl-C at once',
  options: {
    ha: {
      kind: 'boolean',
      description:
        'the HA layout: three Kafka brokers, a Redis Cluster, two of every app process (second API on API_PORT + 1)',
    },
  },
} as const satisfies CommandSpec;

const say = (msg: string) => process.stdout.write(`[bourse] ${msg}\n`);

async function main({ values }: Parsed<typeof command.options>): Promise<void> {
  // The HA layout is settings over the configured ones; the app processes get them too.
  const ha = values.ha ? haEnv(stackConfig()) : {};
  const cfg = values.ha ? loadStackConfig({ ...process.env, ...ha }) : stackConfig();
  const spec = stackSpecFromConfig(cfg);
  const starting = new AbortController();
  const metrics = createSupervisorMetrics();
  const loud = (line: string) => process.stderr.write(`\n[bourse] ${line}\n\n`);
  const apps = new Supervisor({ metrics, loud });
  // Watches the services once the stack is up (during the start, a death fails the start).
  const services = new ServiceWatcher(
    watchedServices(spec, (m) => say(`stack: ${m}`), starting.signal),
    { metrics, loud },
  );

  // One stop, whoever asks first (a signal, a dying child, a failed start); asking again never exits
  // early, so the services are stopped whatever happens to the app processes.
  let stopping: Promise<void> | undefined;
  const stop = (exitCode: number): Promise<void> =>
    (stopping ??= (async () => {
      starting.abort();
      services.stop();
      try {
        say('stopping the app processes');
        // The worker drains for up to SHUTDOWN_GRACE; past that and a margin, SIGKILL.
        await apps.stopAll(cfg.SHUTDOWN_GRACE + 10_000);
      } finally {
        say('stopping the stack');
        await stopStack(spec, say).catch((err: unknown) => {
          process.stderr.write(`[bourse] stopping the stack failed: ${(err as Error).message}\n`);
          exitCode = 1;
        });
        process.exit(exitCode);
      }
    })());

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      say(`${signal}: stopping (once more to stop at once)`);
      void stop(0);
    } else if (signals === 2) {
      say(`${signal} again: killing the app processes`);
      apps.killAll();
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  try {
    const started = Date.now();
    await startStack(spec, (m) => say(`stack: ${m}`), starting.signal);
    say(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The demo data, so an order can be placed at once; it never overwrites credit orders have moved.
    const redis = createRedis(cfg);
    for (const line of await seedDemoData(redis)) say(`seed: ${line}`);
    // Demo API keys for user1, user2 and operator (the same ones each start). Not printed here: this
    // output is a log, and no key goes into a log; `npm run seed` prints them.
    const keysFile = join(spec.dir, 'demo-keys.json');
    const { keys, issued } = await seedDemoKeys(redis, keysFile);
    say(
      `seed: API keys for ${Object.keys(keys).join(', ')} ${issued ? 'issued' : 'kept'} in ${keysFile} (npm run seed prints them)`,
    );
    redis.disconnect();
  } catch (err) {
    if (stopping) return; // a signal during start-up: the stop is under way
    process.stderr.write(
      `[bourse] ${err instanceof PrerequisiteError ? '' : 'start failed: '}${(err as Error).message}\n`,
    );
    await stop(1);
    return;
  }
  if (stopping) return;
  // From now on a service that dies is started again.
  services.start();
  const ops = await startOpsServer({
    host: '127.0.0.1',
    port: supervisorOpsPort(cfg),
    registry: metrics.registry,
    log: createLogger('supervisor', cfg.LOG_LEVEL),
  });
  // One workflow bundle for the workers, built here from this checkout (unless one is configured).
  const bundle: Record<string, string> = cfg.WORKFLOW_BUNDLE
    ? {}
    : { WORKFLOW_BUNDLE: await prebuildWorkflowBundle(spec.dir) };
  for (const kind of Object.keys(APP_PROCESSES) as AppProcess[]) {
    for (let instance = 1; instance <= (values.ha ? 2 : 1); instance++) {
      apps.start(kind, instance, { ...ha, ...bundle, ...instanceEnv(cfg, { kind, instance }) });
    }
  }
  await startPrometheus(
    { dir: spec.dir, port: cfg.PROMETHEUS_PORT, targets: localScrapeTargets(cfg, cfg.PROMETHEUS_PORT) },
    (m) => say(`prometheus: ${m}`),
    { stopOnExit: true },
  ).then(
    (p) => say(`Prometheus ${p.url} (rules and alerts: ${p.url}/alerts)`),
    (err: unknown) => say(`Prometheus not started: ${(err as Error).message}`),
  );
  say(
    `API        http://${cfg.API_HOST}:${cfg.API_PORT}${values.ha ? ` and :${cfg.API_PORT + 1}` : ''} (try /readyz)`,
  );
  say(`Temporal   ${cfg.TEMPORAL_ADDRESS}, Web UI http://127.0.0.1:${cfg.TEMPORAL_UI_PORT}`);
  say(`Kafka      ${cfg.KAFKA_BROKERS.join(',')}   Redis ${cfg.REDIS_URL}`);
  say(`Supervisor  http://127.0.0.1:${ops.port}/metrics (restarts of what died on its own)`);
  say('Ctrl-C stops everything');
}

if (require.main === module) runCommand(command, main);
