// The Grafana dashboard works on any Prometheus: its panels read the data source chosen in the
// `datasource` variable, and every series a panel reads is narrowed to the `job` variable's jobs. The
// job variable's query is run by the real promtool against targets under the local stack's and
// compose's labels (static jobs bourse-*) and under Kubernetes' (a ServiceMonitor's job is the Service's
// name; annotation-based discovery leaves a shared job and the pod's labels), beside unrelated targets.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensurePrometheus } from '../../scripts/stack/prometheus';
import { ROOT } from '../../scripts/stack/spec';
import { metricNamesIn } from '../integration/observability/promql-names';
import { dashboardJobQuery, readDashboard } from '../support/deploy-checks';

const dashboard = readDashboard(ROOT);
const variable = (name: string) => {
  const v = dashboard.templating.list.find((x) => x.name === name);
  if (!v) throw new Error(`the dashboard has no variable ${name}`);
  return v;
};
const expressions = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
const FROM_VARIABLE = { type: 'prometheus', uid: '${datasource}' };

/** Runs promtool's rule tests on `tests` (no rules); status 0 and SUCCESS when every expectation held. */
function promtoolTest(tests: unknown[]): { status: number | null; out: string } {
  const { promtool } = ensurePrometheus((m) => process.stderr.write(`${m}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'bourse-dashboard-'));
  const file = join(dir, 'dashboard.test.yml');
  writeFileSync(file, stringify({ rule_files: [], evaluation_interval: '1m', tests }));
  const r = spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('a data source variable of Prometheus data sources, read by every panel and query', () => {
  expect(variable('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
  expect(dashboard.panels.length).toBeGreaterThan(10);
  for (const p of dashboard.panels) expect([p.title, p.datasource]).toEqual([p.title, FROM_VARIABLE]);
  for (const t of expressions) expect([t.panel, t.datasource]).toEqual([t.panel, FROM_VARIABLE]);
  expect(variable('job').datasource).toEqual(FROM_VARIABLE);
});

test('every series a panel reads is narrowed to the job variable (recorded series are already bourse-only)', () => {
  const unfiltered = expressions.flatMap(({ panel, expr }) =>
    metricNamesIn(expr)
      .filter((name) => !name.includes(':')) // a recording rule's series: aggregated, no job label
      .filter((name) => new RegExp(`\\b${name}\\b(?!\\{job=~"\\$job"\\})`).test(expr))
      .map((name) => `${panel}: ${name} in ${expr}`),
  );
  expect(unfiltered).toEqual([]);
  expect(variable('job')).toMatchObject({ type: 'query', multi: true, includeAll: true });
});

test("the job variable lists bourse's jobs under the local, compose and Kubernetes labels, and nothing else", () => {
  const up = (labels: string) => ({ series: `up{${labels}}`, values: '1 1 1' });
  const r = promtoolTest([
    {
      interval: '1m',
      input_series: [
        // The local stack and docker-compose.yml: deploy/prometheus/prometheus.yml's static jobs.
        up('job="bourse-api",instance="api:3000"'),
        up('job="bourse-worker-temporal",instance="worker:9102"'),
        // A ServiceMonitor (deploy/kubernetes/monitoring): job = the Service's name, two pods behind it.
        up(
          'job="bourse-worker",namespace="bourse",service="bourse-worker",pod="w-1",instance="10.0.0.7:9101"',
        ),
        up(
          'job="bourse-worker",namespace="bourse",service="bourse-worker",pod="w-2",instance="10.0.0.8:9101"',
        ),
        // Annotation-based discovery: the scrape config's job, the pod's labels mapped.
        up('job="kubernetes-pods",pod="c-1",instance="10.0.0.9:9103",app_kubernetes_io_part_of="bourse"'),
        // Not bourse's.
        up('job="prometheus",instance="localhost:9090"'),
        up('job="node-exporter",instance="10.0.0.1:9100"'),
      ],
      promql_expr_test: [
        {
          expr: dashboardJobQuery(dashboard),
          eval_time: '2m',
          exp_samples: [
            { labels: '{job="bourse-api"}', value: 1 },
            { labels: '{job="bourse-worker-temporal"}', value: 1 },
            { labels: '{job="bourse-worker"}', value: 2 },
            { labels: '{job="kubernetes-pods"}', value: 1 },
          ],
        },
      ],
    },
  ]);
  expect(r).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  // Grafana reads each job out of query_result's lines (`{job="bourse-api"} 1 1733400000000`).
  const regex = /^\/(.*)\/$/.exec(variable('job').regex ?? '')![1];
  expect(new RegExp(regex).exec('{job="bourse-worker"} 2 1733400000000')?.[1]).toBe('bourse-worker');
});

test("with the variables filled in, every panel's query is valid PromQL (promtool evaluates each)", () => {
  const fill = (expr: string) =>
    expr.replaceAll('$job', 'bourse-api|bourse-worker').replaceAll('$__rate_interval', '1m');
  const r = promtoolTest([
    {
      interval: '1m',
      input_series: [{ series: 'unrelated', values: '1' }],
      promql_expr_test: expressions.map(({ expr }) => ({
        expr: fill(expr),
        eval_time: '1m',
        exp_samples: [],
      })),
    },
  ]);
  expect(r).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
});
