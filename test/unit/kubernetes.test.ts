// deploy/kubernetes, rendered by kustomize and checked offline against the Kubernetes API schemas
// (kubernetes-validate --strict: wrong types and unknown fields fail), then against bourse itself:
// each app process's Deployment runs the compiled file `npm start` runs on a read-only root (the worker
// from the image's prebuilt workflow bundle), probes the port its configuration names,
// reads only settings lib/infra/config.ts knows, and has its PodDisruptionBudget; the API its autoscaler.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { loadConfig } from '../../lib/infra/config';
import {
  APP_PROCESSES,
  compiledCommandOf,
  compiledSetupCommand,
  type AppProcess,
} from '../../scripts/stack/app-processes';
import { K8S_SCHEMA_VERSIONS, ensureK8sTools, type K8sTools } from '../../scripts/stack/k8s-tools';
import { ROOT } from '../../scripts/stack/spec';
import {
  HEALTH_PORT_VARIABLE,
  dockerfileStages,
  isConfigVariable,
  settingOf,
  shutdownGraceSeconds,
  stageSettings,
} from '../support/deploy-checks';

let tools: K8sTools;
// The first run on a machine builds and installs the validators (minutes, once; README's install table).
beforeAll(async () => {
  tools = await ensureK8sTools((m) => process.stderr.write(`${m}\n`));
}, 15 * 60_000);
const K8S_DIR = join(ROOT, 'deploy', 'kubernetes');
const TARGETS = ['base', 'overlays/strimzi'] as const;
const OVERLAYS = TARGETS.filter((t) => t.startsWith('overlays/'));
const PROCESSES = Object.keys(APP_PROCESSES) as AppProcess[];
const REDIS_CLUSTER = join(K8S_DIR, 'dependencies', 'redis-cluster.yaml');

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   rendered manifests are checked field by field below */
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: any;
};

const rendered = new Map<string, string>();
function build(target: string): string {
  const cached = rendered.get(target);
  if (cached !== undefined) return cached;
  const r = spawnSync(tools.kustomize, ['build', join(K8S_DIR, target)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kustomize build ${target} failed: ${r.stderr}`);
  rendered.set(target, r.stdout);
  return r.stdout;
}

const objectsOf = (yamlText: string): K8sObject[] =>
  parseAllDocuments(yamlText).map((d) => d.toJS() as K8sObject);

const tmp = mkdtempSync(join(tmpdir(), 'bourse-k8s-'));
function validate(yamlText: string, version: string): { status: number | null; out: string } {
  const file = join(tmp, `manifests-${version}.yaml`);
  writeFileSync(file, yamlText);
  const [cmd, ...args] = tools.validate;
  const r = spawnSync(cmd, [...args, '--strict', '--no-warn', '-k', version, file], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.each(K8S_SCHEMA_VERSIONS)('against the Kubernetes %s API schemas', (version) => {
  test.each(TARGETS)('%s renders and every object validates (strict)', (target) => {
    const text = build(target);
    const r = validate(text, version);
    expect(r.out).not.toMatch(/ERROR|did not validate/);
    expect(r.status).toBe(0);
    // One "passed" line per object: nothing was skipped as unknown.
    expect(r.out.match(/ passed for resource /g)?.length).toBe(objectsOf(text).length);
  });

  test('dependencies/redis-cluster.yaml: every object validates (strict)', () => {
    const text = readFileSync(REDIS_CLUSTER, 'utf8');
    const r = validate(text, version);
    expect(r.out).not.toMatch(/ERROR|did not validate/);
    expect(r.out.match(/ passed for resource /g)?.length).toBe(objectsOf(text).length);
  });

  test('a manifest with a wrong field type is rejected (the check can fail)', () => {
    const objects = objectsOf(build('base'));
    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'bourse-api')!;
    api.spec.replicas = 'two';
    const r = validate(objects.map((o) => stringify(o)).join('---\n'), version);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/spec\.replicas: 'two' is not of type 'integer'/);
  });
});

describe.each(TARGETS)('%s', (target) => {
  const objects = () => objectsOf(build(target));
  const one = (kind: string, name: string) => {
    const found = objects().filter((o) => o.kind === kind && o.metadata.name.startsWith(name));
    expect(found).toHaveLength(1);
    return found[0];
  };
  /** The environment every container gets: the ConfigMap and the Secret it reads, decoded. */
  const environment = (): Record<string, string> => {
    const config = one('ConfigMap', 'bourse-config');
    const secret = one('Secret', 'bourse-secret');
    const decoded = Object.fromEntries(
      Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString('utf8').trim(),
      ]),
    );
    return { ...(config.data as Record<string, string>), ...(secret.stringData ?? {}), ...decoded };
  };

  test('the configuration sets only variables bourse reads, and bourse accepts every value', () => {
    const env = environment();
    expect(Object.keys(env).filter((k) => !isConfigVariable(k))).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
  });

  test.each(PROCESSES)('the %s Deployment: command, configuration, probes, resources, grace', (name) => {
    const deployment = one('Deployment', `bourse-${name}`);
    const pod = deployment.spec.template.spec;
    const container = pod.containers.find((c: any) => c.name === name);
    expect(container.command).toEqual(compiledCommandOf(name));
    expect(container.image).not.toMatch(/:latest$/);
    expect(container.image).toMatch(/:\d+\.\d+\.\d+$/);

    const refs = container.envFrom.map((e: any) => e.configMapRef?.name ?? e.secretRef?.name);
    expect(refs).toEqual([
      one('ConfigMap', 'bourse-config').metadata.name,
      one('Secret', 'bourse-secret').metadata.name,
    ]);
    for (const e of container.env ?? []) expect(isConfigVariable(e.name)).toBe(true);

    const env = environment();
    const healthPort = Number(settingOf(env, HEALTH_PORT_VARIABLE[name]));
    const portNumber = (p: string | number) =>
      typeof p === 'number' ? p : container.ports.find((x: any) => x.name === p)?.containerPort;
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(portNumber(container.livenessProbe.httpGet.port)).toBe(healthPort);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(portNumber(container.readinessProbe.httpGet.port)).toBe(healthPort);
    expect(portNumber(container.startupProbe.httpGet.port)).toBe(healthPort);

    for (const bound of ['requests', 'limits']) {
      expect(container.resources[bound]).toEqual({ cpu: expect.anything(), memory: expect.anything() });
    }
    const preStopSleep = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      shutdownGraceSeconds(env) + preStopSleep,
    );
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  test.each(PROCESSES)('the %s pods have a PodDisruptionBudget of their own', (name) => {
    const labels = one('Deployment', `bourse-${name}`).spec.template.metadata.labels;
    const selects = (o: K8sObject) =>
      Object.entries(o.spec.selector.matchLabels as Record<string, string>).every(
        ([k, v]) => labels[k] === v,
      );
    const budgets = objects().filter((o) => o.kind === 'PodDisruptionBudget' && selects(o));
    expect(budgets).toHaveLength(1);
    expect(budgets[0].spec.minAvailable).toBe(1);
  });

  test.each(PROCESSES)('the %s pods run on a read-only root with a scratch /tmp', (name) => {
    const pod = one('Deployment', `bourse-${name}`).spec.template.spec;
    const tmp = pod.volumes.find((v: any) => v.emptyDir && v.name === 'tmp');
    expect(tmp).toBeDefined();
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect([c.name, c.securityContext.readOnlyRootFilesystem]).toEqual([c.name, true]);
      expect([c.name, c.volumeMounts]).toEqual([c.name, [{ name: 'tmp', mountPath: '/tmp' }]]);
    }
  });

  test("the worker loads the image's prebuilt workflow bundle and starts within a minute", () => {
    const pod = one('Deployment', 'bourse-worker').spec.template.spec;
    const worker = pod.containers.find((c: any) => c.name === 'worker');
    const image = stageSettings(dockerfileStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).get('app')!);
    const bundle = worker.env.find((e: any) => e.name === 'WORKFLOW_BUNDLE')?.value;
    expect(bundle).toBe(image.env.WORKFLOW_BUNDLE);
    expect(environment().WORKFLOW_BUNDLE ?? '').toBe(''); // the ConfigMap does not unset it
    const probe = worker.startupProbe;
    expect(probe.periodSeconds * probe.failureThreshold).toBeLessThanOrEqual(60);
    // Its set-up runs before it, compiled too.
    expect(pod.initContainers.map((c: any) => c.command)).toEqual([compiledSetupCommand()]);
  });

  test('the API scales on CPU, from two pods, behind a Service on its port', () => {
    const api = one('Deployment', 'bourse-api');
    const hpa = one('HorizontalPodAutoscaler', 'bourse-api');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: api.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    const service = one('Service', 'bourse-api');
    expect(service.spec.selector).toEqual(api.spec.selector.matchLabels);
    expect(service.spec.ports[0].targetPort).toBe('http');
  });
});

describe.each(OVERLAYS)('%s points at external, replicated services', (target) => {
  const env = (): Record<string, string> => {
    const objects = objectsOf(build(target));
    const config = objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
    const secret = objects.find((o) => o.kind === 'Secret')!.data as Record<string, string>;
    return { ...config, REDIS_URL: Buffer.from(secret.REDIS_URL, 'base64').toString('utf8') };
  };

  test('Temporal from its chart, Kafka by its bootstrap Service, Redis Cluster by its six nodes', () => {
    const cfg = loadConfig(env());
    expect(cfg.TEMPORAL_ADDRESS).toBe('temporal-frontend.temporal.svc.cluster.local:7233');
    expect(cfg.KAFKA_BROKERS[0]).toMatch(/\.kafka\.svc\.cluster\.local:9092$/);
    expect(env().KAFKA_REPLICATION_FACTOR).toBe('3'); // each topic on three brokers
    const nodes = cfg.REDIS_URL.replace(/^redis:\/\//, '').split(',');
    expect(nodes).toHaveLength(6);
    for (const node of nodes)
      expect(node).toMatch(/^redis-cluster-\d\.redis-cluster-headless\.redis\.svc\.cluster\.local:6379$/);
  });

  test('every object lands in the bourse namespace, the image from a registry', () => {
    const objects = objectsOf(build(target));
    for (const o of objects.filter((x) => x.kind !== 'Namespace'))
      expect(o.metadata.namespace).toBe('bourse');
    for (const d of objects.filter((x) => x.kind === 'Deployment')) {
      expect(d.spec.template.spec.containers[0].image).toMatch(/^[a-z0-9.-]+\.[a-z]+\/.+:\d+\.\d+\.\d+$/);
    }
  });
});

describe('dependencies/redis-cluster.yaml', () => {
  const objects = objectsOf(readFileSync(REDIS_CLUSTER, 'utf8'));
  const set = objects.find((o) => o.kind === 'StatefulSet')!;
  const service = objects.find((o) => o.kind === 'Service')!;

  test.each(OVERLAYS)("%s's REDIS_URL names each of its pods, and only those", (overlay) => {
    const secret = objectsOf(build(overlay)).find(
      (o) => o.kind === 'Secret' && o.metadata.name.startsWith('bourse-secret'),
    )!;
    const url = Buffer.from(secret.data.REDIS_URL as string, 'base64')
      .toString('utf8')
      .trim();
    const pods = Array.from(
      { length: set.spec.replicas as number },
      (_, i) =>
        `${set.metadata.name}-${i}.${service.metadata.name}.${set.metadata.namespace}.svc.cluster.local:6379`,
    );
    expect(set.spec.serviceName).toBe(service.metadata.name);
    expect(
      url
        .replace(/^redis:\/\//, '')
        .split(',')
        .sort(),
    ).toEqual(pods.sort());
  });

  test('each node announces the DNS name REDIS_URL uses, from an official image, with one replica per master', () => {
    const redis = set.spec.template.spec.containers[0];
    expect(redis.image).toMatch(/^redis:\d+\.\d+\.\d+-bookworm$/);
    expect(redis.command.join(' ')).toContain(
      `--cluster-announce-hostname $(POD_NAME).${service.metadata.name}.${set.metadata.namespace}.svc.cluster.local`,
    );
    const conf = objects.find((o) => o.kind === 'ConfigMap')!.data['redis.conf'] as string;
    expect(conf).toMatch(/^cluster-enabled yes$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    const init = objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0];
    expect(init.image).toBe(redis.image);
    expect(init.command.join(' ')).toContain('--cluster-replicas 1');
  });
});
