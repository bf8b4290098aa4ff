// `npm start`: the whole system on the local stack, as one supervised command.
// Starts Temporal, Kafka and Redis, then the Temporal worker, the price consumer and the API.
// Ctrl-C stops everything; a child that dies on its own is reported loudly and stops the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { config } from '../../lib/infra/config';
import { createRedis } from '../../lib/infra/redis';
import { APP_PROCESSES, commandOf, type AppProcess } from './app-processes';
import { seedDemoData, seedDemoKeys } from '../ops/seed';
import { PrerequisiteError, ROOT, stackSpecFromConfig, startStack, stopStack } from './local-stack';
import { localScrapeTargets, startPrometheus } from './prometheus';

const cfg = config();
const spec = stackSpecFromConfig(cfg);
const say = (msg: string) => process.stdout.write(`[bourse] ${msg}\n`);

const children = new Map<string, ChildProcess>();
let stopping = false;

function startChild(name: AppProcess): void {
  const [cmd, ...args] = commandOf(name);
  const file = APP_PROCESSES[name];
  const child = spawn(cmd!, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  const prefix = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) stream.write(`${name.padEnd(8)} | ${line}\n`);
  };
  child.stdout?.on('data', prefix(process.stdout));
  child.stderr?.on('data', prefix(process.stderr));
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    process.stderr.write(
      `\n[bourse] !!! ${name} (${file}) exited unexpectedly with ${signal ?? `code ${code}`}; stopping everything.\n\n`,
    );
    void shutdown(1);
  });
}

async function shutdown(exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping the app processes');
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      ),
    );
    say('stopping the stack');
    await stopStack(spec, say);
  }
  process.exit(exitCode);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  const started = Date.now();
  await startStack(spec, (m) => say(`stack: ${m}`));
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
  for (const name of Object.keys(APP_PROCESSES) as AppProcess[]) startChild(name);
  await startPrometheus(
    { dir: spec.dir, port: cfg.PROMETHEUS_PORT, targets: localScrapeTargets(cfg, cfg.PROMETHEUS_PORT) },
    (m) => say(`prometheus: ${m}`),
    { stopOnExit: true },
  ).then(
    (p) => say(`Prometheus ${p.url} (rules and alerts: ${p.url}/alerts)`),
    (err: unknown) => say(`Prometheus not started: ${(err as Error).message}`),
  );
  say(`API        http://${cfg.API_HOST}:${cfg.API_PORT} (try /readyz)`);
  say(`Temporal   ${cfg.TEMPORAL_ADDRESS}, Web UI http://127.0.0.1:${cfg.TEMPORAL_UI_PORT}`);
  say(`Kafka      ${cfg.KAFKA_BROKERS.join(',')}   Redis ${cfg.REDIS_URL}`);
  say('Ctrl-C stops everything');
}

main().catch(async (err: unknown) => {
  process.stderr.write(
    `[bourse] ${err instanceof PrerequisiteError ? '' : 'start failed: '}${(err as Error).message}\n`,
  );
  await shutdown(1);
});
