// deploy/kubernetes/monitoring, offline: kustomize renders it, its Services validate against the
// Kubernetes API schemas (strict), the PrometheusRule holds exactly deploy/prometheus/rules/bourse.yml's
// groups, and the ServiceMonitor reaches every process's metrics port under a job the alerts match
// (job = the Service's name). The Prometheus Operator's own resources are custom resources outside
// the bundled schemas: checked here field by field, not by a schema.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { K8S_SCHEMA_VERSIONS, ensureK8sTools, type K8sTools } from '../../scripts/stack/k8s-tools';
import { ROOT } from '../../scripts/stack/spec';
import { PROMETHEUS_RULES } from '../../scripts/stack/prometheus';

let tools: K8sTools;
beforeAll(async () => {
  tools = await ensureK8sTools((m) => process.stderr.write(`${m}\n`));
}, 15 * 60_000);

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call --
   rendered manifests are checked field by field below */
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: any;
};

const render = (dir: string): K8sObject[] => {
  const r = spawnSync(tools.kustomize, ['build', join(ROOT, 'deploy', 'kubernetes', dir)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kustomize build ${dir} failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
};
const isOperatorResource = (o: K8sObject) => o.apiVersion.startsWith('monitoring.coreos.com/');

test.each(K8S_SCHEMA_VERSIONS)('its core objects validate against the Kubernetes %s schemas', (version) => {
  const core = render('monitoring').filter((o) => !isOperatorResource(o));
  const file = join(mkdtempSync(join(tmpdir(), 'bourse-mon-')), 'core.yaml');
  writeFileSync(file, core.map((o) => stringify(o)).join('---\n'));
  const [cmd, ...args] = tools.validate;
  const r = spawnSync(cmd, [...args, '--strict', '--no-warn', '-k', version, file], { encoding: 'utf8' });
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/ERROR|did not validate/);
  expect(r.status).toBe(0);
});

test("the PrometheusRule holds the repository's rules, unchanged", () => {
  const rule = render('monitoring').find((o) => o.kind === 'PrometheusRule')!;
  expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(rule.metadata.namespace).toBe('bourse');
  const groups = (parse(readFileSync(PROMETHEUS_RULES, 'utf8')) as { groups: unknown[] }).groups;
  expect(rule.spec.groups).toEqual(groups);
});

test('the ServiceMonitor scrapes every process, each under a bourse-… job', () => {
  const objects = [...render('monitoring'), ...render('base')];
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
  const selected = objects.filter(
    (o) =>
      o.kind === 'Service' &&
      monitor.spec.selector.matchExpressions.every((e: any) => e.values.includes(o.metadata.labels?.[e.key])),
  );
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  expect(deployments.length).toBe(4);
  const endpointPorts = monitor.spec.endpoints.map((e: any) => e.port);
  for (const d of deployments) {
    const labels = d.spec.template.metadata.labels;
    const services = selected.filter((s) =>
      Object.entries(s.spec.selector as Record<string, string>).every(([k, v]) => labels[k] === v),
    );
    expect([d.metadata.name, services.map((s) => s.metadata.name)]).toEqual([
      d.metadata.name,
      [d.metadata.name],
    ]);
    // Job = the Service's name, which BourseTargetDown's job=~"bourse-.*" matches.
    expect(services[0].metadata.name).toMatch(/^bourse-/);
    const containerPorts = d.spec.template.spec.containers[0].ports.map((p: any) => p.name);
    const scraped = services[0].spec.ports.filter((p: any) => endpointPorts.includes(p.name));
    expect(scraped.length).toBeGreaterThan(0);
    for (const p of scraped) expect(containerPorts).toContain(p.targetPort);
  }
});
