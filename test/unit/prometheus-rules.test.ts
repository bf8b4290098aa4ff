// The repository's Prometheus configuration and rules, checked by the real promtool: the scrape
// configuration and the rules are valid, and each alert fires (and stays quiet) on synthetic series.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  PROMETHEUS_CONFIG,
  PROMETHEUS_DIR,
  PROMETHEUS_RULES,
  PROMETHEUS_RULE_TESTS,
  ensurePrometheus,
  localScrapeTargets,
} from '../../scripts/stack/prometheus';
import { loadStackConfig } from '../../scripts/stack/stack-config';

const { promtool } = ensurePrometheus((m) => process.stderr.write(`${m}\n`));

function promtoolRun(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(promtool, args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('promtool check config accepts deploy/prometheus/prometheus.yml (and the rules it loads)', () => {
  const r = promtoolRun('check', 'config', PROMETHEUS_CONFIG);
  expect(r.out).toContain('SUCCESS');
  expect(r.status).toBe(0);
});

test('the local stack scrapes every job of prometheus.yml, each on its configured port', () => {
  const doc = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const cfg = loadStackConfig({});
  const local = localScrapeTargets(cfg, cfg.PROMETHEUS_PORT);
  expect(Object.keys(local).sort()).toEqual(doc.scrape_configs.map((j) => j.job_name).sort());
  // compose's targets (service:port) and the local ones (127.0.0.1:port) use the same default ports.
  const port = (t: string) => t.split(':').at(-1);
  for (const job of doc.scrape_configs) {
    expect([job.job_name, local[job.job_name].map(port)]).toEqual([
      job.job_name,
      job.static_configs.flatMap((s) => s.targets).map(port),
    ]);
  }
  expect(local['bourse-order-events-consumer']).toEqual([`127.0.0.1:${cfg.ORDER_EVENTS_CONSUMER_OPS_PORT}`]);
});

test('promtool check rules accepts the rules', () => {
  const r = promtoolRun('check', 'rules', PROMETHEUS_RULES);
  expect(r.status).toBe(0);
});

test('promtool test rules: every alert is unit-tested, and the tests pass', () => {
  const rules = parse(readFileSync(PROMETHEUS_RULES, 'utf8')) as {
    groups: { rules: { alert?: string }[] }[];
  };
  const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
  const tests = parse(readFileSync(PROMETHEUS_RULE_TESTS, 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const firing = new Set(
    tests.tests.flatMap((t) =>
      (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
    ),
  );
  expect(alerts.length).toBeGreaterThanOrEqual(6);
  expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
  const r = promtoolRun('test', 'rules', PROMETHEUS_RULE_TESTS);
  // Both in one expectation, so a failure shows promtool's own account of it.
  expect(r).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
});

test('promtool test rules fails when an alert does not fire as the test expects', () => {
  // The check can fail: the same tests against rules whose threshold no series reaches.
  const broken = readFileSync(PROMETHEUS_RULES, 'utf8').replace('> 5000', '> 5000000');
  const dir = mkdtempSync(join(tmpdir(), 'bourse-rules-'));
  mkdirSync(join(dir, 'rules'));
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, 'rules', 'bourse.yml'), broken);
  writeFileSync(join(dir, 'tests', 'bourse.test.yml'), readFileSync(PROMETHEUS_RULE_TESTS, 'utf8'));
  const r = spawnSync(promtool, ['test', 'rules', 'tests/bourse.test.yml'], { cwd: dir, encoding: 'utf8' });
  expect(`${r.stdout}${r.stderr}`).toContain('BourseConsumerLagHigh');
  expect(r.status).not.toBe(0);
});
