// docker-compose.yml and docker-compose.ha.yml are checked statically (no Docker engine here): Debian's
// docker-compose must accept them, alone and merged, and they must agree with the code and the local
// stack: the same Temporal, Kafka and Redis versions, app services running the compiled JavaScript of
// the files `npm start` runs (the image's `npm run build`) on a read-only root, setting only variables
// lib/infra/config.ts reads, probed on the ports those settings name, and given at least
// SHUTDOWN_GRACE to stop.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../lib/infra/config';
import {
  APP_PROCESSES,
  compiledCommandOf,
  compiledSetupCommand,
  type AppProcess,
} from '../../../scripts/stack/app-processes';
import { ROOT, VERSIONS, temporalBinary } from '../../../scripts/stack/local-stack';
import {
  HEALTH_PORT_VARIABLE,
  isConfigVariable,
  settingOf,
  shutdownGraceSeconds,
} from '../../support/deploy-checks';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
  stop_grace_period?: string;
  read_only?: boolean;
  tmpfs?: string[];
  depends_on?: Record<string, { condition: string }>;
}
type Compose = { services: Record<string, Service> };

const BASE = 'docker-compose.yml';
const HA = 'docker-compose.ha.yml';
const PROCESSES = Object.keys(APP_PROCESSES) as AppProcess[];

const configs = new Map<string, Compose>();
function composeConfig(...files: string[]): Compose {
  const key = files.join(' ');
  const cached = configs.get(key);
  if (cached) return cached;
  const args = files.flatMap((f) => ['-f', join(ROOT, f)]);
  const r = spawnSync('docker-compose', [...args, 'config'], { encoding: 'utf8' });
  if (r.error)
    throw new Error(`docker-compose is not installed (apt-get install docker-compose): ${r.error.message}`);
  expect(r.stderr).not.toMatch(/invalid|error/i);
  expect(r.status).toBe(0);
  const parsed = parse(r.stdout) as Compose;
  configs.set(key, parsed);
  return parsed;
}

/** Seconds of a compose duration as `config` prints it (`40s`, `1m30s`). */
function seconds(text: string | undefined): number {
  const m = /^(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text ?? '');
  if (!text || !m) return 0;
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

/** The Server and UI versions the local stack's Temporal CLI embeds (`temporal --version`). */
function localTemporalVersions(): { server: string; ui: string } {
  const out = spawnSync(temporalBinary(), ['--version'], { encoding: 'utf8' }).stdout;
  const m = /Server (\d+\.\d+\.\d+), UI (\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`temporal --version printed no Server/UI versions: ${out}`);
  return { server: m[1], ui: m[2] };
}

/** The version of Debian's redis-server, which the local stack runs. */
function localRedisVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
  const m = /v=(\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`redis-server --version printed no version: ${out}`);
  return m[1];
}

const tagOf = (image: string | undefined) => (image ?? '').split(':')[1] ?? '';

test('docker-compose config accepts the file, with every service of the system', () => {
  const { services } = composeConfig(BASE);
  expect(Object.keys(services).sort()).toEqual(
    [
      'api',
      'consumer',
      'grafana',
      'kafka',
      'order-events-consumer',
      'postgresql',
      'prometheus',
      'redis',
      'setup',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'worker',
    ].sort(),
  );
  expect(services.temporal?.environment?.DB).toBe('postgres12'); // PostgreSQL-backed, not the dev server
  expect(services.redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  expect(services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller'); // KRaft
});

// A release, never a moving tag (PostgreSQL's releases are major.minor).
test.each([[BASE], [BASE, HA]])('every image tag is pinned to a release (%s …)', (...files) => {
  const { services } = composeConfig(...files);
  for (const [name, svc] of Object.entries(services)) {
    if (svc.build !== undefined) expect([name, svc.image]).toEqual([name, 'bourse-app:local']);
    else
      expect([name, tagOf(svc.image)]).toEqual([name, expect.stringMatching(/^v?\d+\.\d+(\.\d+)?(-\w+)?$/)]);
  }
});

test("Temporal as Temporal's compose files run it now, at the local stack's Server and UI versions", () => {
  const { services } = composeConfig(BASE);
  const local = localTemporalVersions();
  expect(services.temporal?.image).toBe(`temporalio/server:${local.server}`);
  expect(services['temporal-ui']?.image).toBe(`temporalio/ui:${local.ui}`);
  // The schema and the namespace from the admin tools of the same release, each once, before use.
  expect(services['temporal-schema']?.image).toBe(`temporalio/admin-tools:${local.server}`);
  expect(services['temporal-namespace']?.image).toBe(`temporalio/admin-tools:${local.server}`);
  expect(services.temporal?.depends_on?.['temporal-schema']?.condition).toBe(
    'service_completed_successfully',
  );
  expect(services.setup?.depends_on?.['temporal-namespace']?.condition).toBe(
    'service_completed_successfully',
  );
  for (const svc of Object.values(services)) expect(svc.image).not.toMatch(/auto-setup/);
  for (const svc of Object.values(services))
    expect(JSON.stringify(svc.healthcheck ?? {})).not.toMatch(/tctl/);
});

test("Kafka and Redis at the local stack's versions", () => {
  const { services } = composeConfig(BASE);
  expect(services.kafka?.image).toBe(`apache/kafka:${VERSIONS.kafka}`);
  expect(tagOf(services.redis?.image)).toMatch(new RegExp(`^${localRedisVersion().replace(/\./g, '\\.')}-`));
});

describe.each([[BASE], [BASE, HA]])('the app services of %s …', (...files) => {
  const services = () => composeConfig(...files).services;
  const appServices = () => Object.entries<Service>(services()).filter(([, svc]) => svc.build !== undefined);
  const processOf = (service: string) => service.replace(/-2$/, '') as AppProcess;

  test('set only variables bourse reads, with values it accepts', () => {
    for (const [name, svc] of appServices()) {
      const env = svc.environment ?? {};
      expect([name, Object.keys(env).filter((k) => !isConfigVariable(k))]).toEqual([name, []]);
      expect(() => loadConfig(env)).not.toThrow();
    }
  });

  test.each(PROCESSES)(
    '%s runs the compiled file npm start runs, healthchecked on its port, with its grace',
    (name) => {
      const twins = appServices().filter(([service]) => processOf(service) === name);
      expect(twins.length).toBe(files.includes(HA) ? 2 : 1);
      for (const [, svc] of twins) {
        expect(svc.command).toEqual(compiledCommandOf(name));
        const env = svc.environment ?? {};
        const port = settingOf(env, HEALTH_PORT_VARIABLE[name]);
        expect(svc.healthcheck?.test?.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
        expect(seconds(svc.stop_grace_period)).toBeGreaterThanOrEqual(shutdownGraceSeconds(env));
      }
    },
  );

  test('the one-shot setup runs scripts/stack/setup.ts, compiled, with the same settings as the app', () => {
    const setup = services().setup;
    expect(setup.command).toEqual(compiledSetupCommand());
    expect(setup.environment).toEqual(services().api?.environment);
  });

  test('every service of the image runs on a read-only root with a scratch /tmp', () => {
    for (const [name, svc] of appServices()) {
      expect([name, svc.read_only, svc.tmpfs]).toEqual([name, true, ['/tmp']]);
    }
  });
});

describe('docker-compose.ha.yml on top of docker-compose.yml', () => {
  const services = () => composeConfig(BASE, HA).services;

  test('Kafka: three KRaft nodes, one cluster, replication factor 3, min.insync.replicas 2', () => {
    const brokers = ['kafka', 'kafka-2', 'kafka-3'].map((name) => services()[name]);
    const env = brokers.map((b) => b.environment!);
    expect(env.map((e) => e.KAFKA_NODE_ID)).toEqual(['1', '2', '3']);
    expect(new Set(env.map((e) => e.CLUSTER_ID)).size).toBe(1);
    for (const [i, e] of env.entries()) {
      expect(e.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/); // a KRaft cluster id: base64 of 16 bytes
      expect(e.KAFKA_PROCESS_ROLES).toBe('broker,controller');
      expect(e.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe('1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093');
      expect(e.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe('3');
      expect(e.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
      expect(e.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('3');
      expect(e.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('3');
      expect(e.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('2');
      expect(e.KAFKA_ADVERTISED_LISTENERS).toContain(
        `PLAINTEXT://${['kafka', 'kafka-2', 'kafka-3'][i]}:9092`,
      );
      expect(brokers[i].image).toBe(`apache/kafka:${VERSIONS.kafka}`);
      expect(brokers[i].healthcheck?.test).toBeDefined();
    }
  });

  test('Redis: a cluster of six nodes (AOF on, 2 s node timeout), formed once before setup', () => {
    const nodes = ['redis', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6'];
    for (const name of nodes) {
      const cmd = services()[name].command!;
      const arg = (flag: string) => cmd[cmd.indexOf(flag) + 1];
      expect([name, arg('--cluster-enabled'), arg('--appendonly'), arg('--cluster-node-timeout')]).toEqual([
        name,
        'yes',
        'yes',
        '2000',
      ]);
      expect(arg('--cluster-announce-hostname')).toBe(name);
      expect(services()[name].healthcheck?.test).toBeDefined();
    }
    const init = services()['redis-cluster-init'];
    expect(init.environment?.REDIS_NODES?.split(' ')).toEqual(nodes.map((n) => `${n}:6379`));
    expect(init.command).toEqual(['/scripts/redis-cluster-init.sh']);
    expect(services().setup?.depends_on?.['redis-cluster-init']?.condition).toBe(
      'service_completed_successfully',
    );
  });

  test('every app service reaches all three brokers (topics on all three) and the cluster through its six nodes', () => {
    for (const [name, svc] of Object.entries(services()).filter(([, s]) => s.build !== undefined)) {
      const cfg = loadConfig(svc.environment ?? {});
      expect([name, cfg.KAFKA_BROKERS]).toEqual([name, ['kafka:9092', 'kafka-2:9092', 'kafka-3:9092']]);
      expect([name, svc.environment?.KAFKA_REPLICATION_FACTOR]).toEqual([name, '3']);
      expect([name, cfg.REDIS_URL.replace(/^redis:\/\//, '').split(',').length]).toEqual([name, 6]);
    }
  });
});
