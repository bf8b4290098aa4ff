// Observability end to end: the real worker, both consumers and API processes on the test stack, the
// real Prometheus scraping their ops ports every second, and assertions through Prometheus's HTTP API:
// every target up, and each business series moved by exactly what the test caused.
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { TOPICS, createKafka } from '../../../lib/infra/kafka';
import { createRedis, type Redis } from '../../../lib/infra/redis';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { watchedStocks } from '../../../lib/store/watch-list';
import type { RunningPrometheus } from '../../../scripts/stack/prometheus';
import { ROOT } from '../../../scripts/stack/spec';
import { nodeVersion } from '../../../scripts/stack/tools';
import { dashboardJobQuery, readDashboard } from '../../support/deploy-checks';
import {
  http,
  newUser,
  putUser,
  startScriptedVerifier,
  type ScriptedVerifier,
} from '../../support/order-harness';
import { newGroupAtEnd, waitFor } from '../../support/price-helpers';
import { testConfig } from '../../support/test-stack';
import {
  appProcesses,
  expectOpsServer,
  obsPorts,
  pauseSchedules,
  promClient,
  recordedNames,
  restoreSchedules,
  runPriceFetch,
  ruleAndDashboardExpressions,
  scrapeJobs,
  startTestPrometheus,
  type AppProcesses,
  type PromClient,
} from './obs-stack';
import { metricNamesIn } from './promql-names';

jest.setTimeout(300_000);

const cfg = testConfig();
const ports = obsPorts();
/** Every job of deploy/prometheus/prometheus.yml: a job added there and not started here fails the test. */
const JOBS = scrapeJobs();

let verifier: ScriptedVerifier;
let apps: AppProcesses;
let prometheus: RunningPrometheus;
let prom: PromClient;
let temporal: Client;
let redis: Redis;
let kafka: Kafka;
let priceGroup: string;
let stocks: string[];
/** Other tests' schedules this test paused, resumed after it. */
const paused: string[] = [];

const minuteAgo = (n: number) => new Date((Math.floor(Date.now() / 60_000) - n) * 60_000).toISOString();
const fetchPrices = (minute: string) => runPriceFetch(temporal, minute);

beforeAll(async () => {
  redis = createRedis(cfg);
  kafka = createKafka(cfg);
  temporal = createTemporalClient(cfg);
  verifier = await startScriptedVerifier();
  // A group of its own, at the topic's current end: its lag counts only what this test publishes.
  priceGroup = await newGroupAtEnd(kafka);
  apps = appProcesses({
    PRICE_CONSUMER_GROUP: priceGroup,
    ORDER_EVENTS_CONSUMER_GROUP: await newGroupAtEnd(kafka, TOPICS.orderEvents),
    VERIFIER_URL: verifier.url,
    VERIFY_TIMEOUT: '3s',
    ORDER_START_TIMEOUT: '60s',
    ORDER_MAX_IN_FLIGHT: '100',
  });
  stocks = await watchedStocks(redis, cfg);
  prometheus = await startTestPrometheus();
  prom = promClient(prometheus.url);
  await Promise.all(
    (['worker', 'consumer', 'order-events-consumer', 'api'] as const).map((p) => apps.start(p)),
  );
});

afterAll(async () => {
  await apps?.stopAll();
  await prometheus?.stop();
  await verifier?.close();
  // This test's schedule deleted; the others it paused resumed.
  if (temporal) await restoreSchedules(temporal, apps?.env.PRICE_SCHEDULE_ID, paused);
  await temporal?.connection.close();
  redis?.disconnect();
});

test('every process serves /metrics, /healthz and /readyz, and every target is up', async () => {
  expect(JOBS).toEqual(expect.arrayContaining(['bourse-api', 'bourse-order-events-consumer']));
  for (const port of [ports.worker, ports.consumer, ports.orderEventsConsumer]) await expectOpsServer(port);
  for (const job of JOBS) await prom.until(`up{job="${job}"}`, 1, 120_000);
  // The worker made its price schedule (the simulated source fires every minute), and an earlier test's
  // worker may have left one running on the shared `prices` queue: all paused, so only this test's runs
  // move the price series (the others resumed afterwards).
  const schedule = temporal.schedule.getHandle(apps.env.PRICE_SCHEDULE_ID);
  await waitFor('the price schedule', () => schedule.describe().then(() => true), 60_000);
  paused.push(...(await pauseSchedules(temporal, schedule.scheduleId)));
});

test('every app process runs on the pinned Node (.node-version), whatever Node runs the tests', async () => {
  // While all of them are up: a later test stops the price consumer.
  const versions = Object.fromEntries(
    (await prom.query('nodejs_version_info')).map((s) => [s.metric.job, s.metric.version]),
  );
  const pinned = `v${nodeVersion()}`;
  expect(pinned).toMatch(/^v24\./);
  // Every job but the Temporal SDK core's own endpoint (no Node metrics there).
  expect(versions).toEqual(
    Object.fromEntries(
      JOBS.filter((j) => j !== 'prometheus' && j !== 'bourse-worker-temporal').map((j) => [j, pinned]),
    ),
  );
});

test('prices: fetched, published and stored by source, minutes by mode, freshness, lag back to 0', async () => {
  const n = stocks.length;
  // Warm up: a minute through, so the group has committed and every series exists; then settled
  // (a scheduled run from before the pause may still have been landing): stored = published = n × minutes.
  await fetchPrices(minuteAgo(1));
  await waitFor(
    'the price series to settle',
    async () => {
      const minutes = await prom.v('sum(bourse_price_minutes_total)');
      const published = await prom.v('sum(bourse_price_ticks_published_total{source="simulated"})');
      const stored = await prom.v('sum(bourse_price_ticks_stored_total{source="simulated"})');
      const lag = await prom.value(`sum(bourse_kafka_consumer_lag_messages{group="${priceGroup}"})`);
      return minutes > 0 && published === n * minutes && stored === published && lag === 0;
    },
    60_000,
    500,
  );
  const before = {
    fetched: await prom.v('sum(bourse_price_ticks_fetched_total{source="simulated"})'),
    published: await prom.v('sum(bourse_price_ticks_published_total{source="simulated"})'),
    stored: await prom.v('sum(bourse_price_ticks_stored_total{source="simulated"})'),
    onTime: await prom.v('sum(bourse_price_minutes_total{mode="on_time"})'),
    caughtUp: await prom.v('sum(bourse_price_minutes_total{mode="caught_up"})'),
    fresh: await prom.v('sum(bourse_price_freshness_seconds_count{source="simulated"})'),
  };
  // The current minute (on time) and one ten minutes old (caught up, as the schedule's catch-up runs it).
  await fetchPrices(minuteAgo(0));
  await fetchPrices(minuteAgo(10));
  await prom.until('sum(bourse_price_ticks_fetched_total{source="simulated"})', before.fetched + 2 * n);
  await prom.until('sum(bourse_price_ticks_published_total{source="simulated"})', before.published + 2 * n);
  await prom.until('sum(bourse_price_ticks_stored_total{source="simulated"})', before.stored + 2 * n);
  await prom.until('sum(bourse_price_freshness_seconds_count{source="simulated"})', before.fresh + 2 * n);
  await prom.until('sum(bourse_price_minutes_total{mode="on_time"})', before.onTime + 1);
  await prom.until('sum(bourse_price_minutes_total{mode="caught_up"})', before.caughtUp + 1);
  // The ten-minute-old ticks are at least 540 s old when stored: above the 300 s bucket.
  const over300 =
    (await prom.v('sum(bourse_price_freshness_seconds_count{source="simulated"})')) -
    (await prom.v('sum(bourse_price_freshness_seconds_bucket{source="simulated",le="300"})'));
  expect(over300).toBeGreaterThanOrEqual(n);
  await prom.until(`sum(bourse_kafka_consumer_lag_messages{group="${priceGroup}"})`, 0);
  expect(await prom.v('sum(bourse_price_source_errors_total)')).toBe(0);
  expect(await prom.v('max(bourse_price_last_stored_timestamp_seconds)')).toBeGreaterThan(
    Date.now() / 1000 - 60,
  );
});

test('orders: final outcomes with the failure kind, verification durations, lead times, credit checks', async () => {
  const stockid = stocks[0];
  const outcome = (o: string, f: string) => `sum(bourse_orders_final_total{outcome="${o}",failure="${f}"})`;
  const verification = (r: string) => `sum(bourse_verification_duration_seconds_count{result="${r}"})`;
  const kinds = [
    ['denied', 'none'],
    ['succeeded', 'none'],
    ['failed', 'refusal'],
    ['failed', 'timeout'],
  ] as const;
  const results = ['verified', 'refused', 'timeout'] as const;
  const before = new Map<string, number>();
  for (const [o, f] of kinds) before.set(outcome(o, f), await prom.v(outcome(o, f)));
  for (const r of results) before.set(verification(r), await prom.v(verification(r)));
  const leadBefore = await prom.v('sum(bourse_order_lead_time_seconds_count)');

  // Two successes, a refusal, a verification cut at VERIFY_TIMEOUT (3 s) and a denial.
  const orders: [string, number][] = [
    [newUser('ok'), 1e15],
    [newUser('ok'), 1e15],
    [newUser('no'), 1e15],
    [newUser('stall'), 1e15],
    [newUser('ok'), 1],
  ];
  for (const [user, credit] of orders) {
    const key = await putUser(redis, user, credit);
    const res = await http(`http://127.0.0.1:${ports.api}/orders`, {
      json: { user, stockid, quantity: 1 },
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(res.status).toBeLessThan(300);
  }
  const want: Record<string, number> = {
    [outcome('denied', 'none')]: 1,
    [outcome('succeeded', 'none')]: 2,
    [outcome('failed', 'refusal')]: 1,
    [outcome('failed', 'timeout')]: 1,
    [verification('verified')]: 2,
    [verification('refused')]: 1,
    [verification('timeout')]: 1,
  };
  for (const [expr, delta] of Object.entries(want)) await prom.until(expr, before.get(expr)! + delta);
  await prom.until('sum(bourse_order_lead_time_seconds_count)', leadBefore + 5);
  // The cut verification took VERIFY_TIMEOUT, give or take scheduling: in the (2, 5] s buckets.
  const cut = (le: string) =>
    prom.v(`sum(bourse_verification_duration_seconds_bucket{result="timeout",le="${le}"})`);
  expect((await cut('5')) - (await cut('2'))).toBeGreaterThanOrEqual(1);
  // The API's request metrics saw the order requests.
  expect(
    await prom.v('sum(bourse_http_requests_total{job="bourse-api",method="POST"})'),
  ).toBeGreaterThanOrEqual(5);
});

test('a poison message moves the dead-letter counter; a stopped consumer makes the lag grow', async () => {
  const deadLetters = 'sum(bourse_dead_letters_total{topic="stock-prices",reason="not_json"})';
  const before = await prom.v(deadLetters);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPICS.prices, messages: [{ key: stocks[0], value: 'not json {' }] });
  await producer.disconnect();
  await prom.until(deadLetters, before + 1);
  await prom.until(`sum(bourse_kafka_consumer_lag_messages{group="${priceGroup}"})`, 0);

  await apps.stop('consumer');
  await prom.until('up{job="bourse-price-consumer"}', 0);
  await fetchPrices(minuteAgo(2));
  // Measured by the worker: the consumer that stopped cannot report its own lag.
  await prom.until(
    `sum(bourse_kafka_consumer_lag_messages{group="${priceGroup}",topic="stock-prices"})`,
    stocks.length,
  );
});

test('the Temporal SDK exports its own metrics from the worker', async () => {
  const names = await prom.names();
  expect(names).toEqual(expect.arrayContaining(['temporal_workflow_completed_total']));
  expect(
    await prom.v('sum(temporal_workflow_completed_total{job="bourse-worker-temporal"})'),
  ).toBeGreaterThan(0);
  expect(
    await prom.v('sum(temporal_activity_execution_latency_seconds_count{job="bourse-worker-temporal"})'),
  ).toBeGreaterThan(0);
});

test("the dashboard's job variable lists every bourse job of the live scrape", async () => {
  const jobs = (await prom.query(dashboardJobQuery(readDashboard(ROOT)))).map((s) => s.metric.job).sort();
  expect(jobs).toEqual(JOBS.filter((j) => j !== 'prometheus').sort());
});

test('every expression in the rules and the dashboard names only series a live scrape exports', async () => {
  const live = new Set(await prom.names());
  const recorded = new Set(recordedNames());
  const all = ruleAndDashboardExpressions();
  expect(all.length).toBeGreaterThan(20);
  const unknown = all.flatMap(({ where, expr }) =>
    metricNamesIn(expr)
      .filter((name) => !live.has(name) && !recorded.has(name))
      .map((name) => `${where}: ${name}`),
  );
  expect(unknown).toEqual([]);
  // The check can fail: a misspelt name is caught.
  expect(metricNamesIn('rate(bourse_orders_finals_total[5m])').filter((n) => !live.has(n))).toEqual([
    'bourse_orders_finals_total',
  ]);
});
