// `npm run prices:import` (the real command, one node process) against the test stack's Kafka and
// Redis, with the real price consumer in this process: bad rows go to the report with their line and
// reason while the good ones are stored; a re-import changes nothing in Redis; a SIGKILL after the
// first checkpoint and a restart resume there and end with exactly the file's (stock, minute) pairs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, TOPICS } from '../../../lib/infra/kafka';
import { createLogger } from '../../../lib/infra/logger';
import { createRedis } from '../../../lib/infra/redis';
import { startPriceConsumer, type RunningPriceConsumer } from '../../../lib/prices/ingest/consumer';
import type { ImportSummary } from '../../../lib/prices/import/importer';
import { latestPriceKey, priceHistoryKey, priceIndexKey } from '../../../lib/store/keys';
import { readLatestTick, readPriceHistory } from '../../../lib/store/price-history';
import { ROOT } from '../../../scripts/stack/local-stack';
import { newGroupAtEnd, randomStockId, sleep, waitFor } from '../../support/price-helpers';
import { testConfig, testEnv } from '../../support/test-stack';

const cfg = testConfig();
const kafka = createKafka(cfg);
const redis = createRedis(cfg);
const dir = mkdtempSync(join(tmpdir(), 'price-import-'));
const SCRIPT = join(ROOT, 'scripts', 'ops', 'import-prices.ts');
const t0 = Date.UTC(2025, 9, 8, 6, 0);
const iso = (i: number) => new Date(t0 + i * 60_000).toISOString().replace('.000Z', 'Z');
let consumer: RunningPriceConsumer;
let groupId: string;

beforeAll(async () => {
  groupId = await newGroupAtEnd(kafka);
  consumer = await startPriceConsumer({
    kafka,
    redis,
    log: createLogger('test-import', 'warn'),
    groupId,
    concurrency: 6,
    maxAttempts: 3,
    fromBeginning: false,
  });
});

afterAll(async () => {
  await consumer.stop();
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const args = (file: string, report: string, extra: string[] = []) => [
  '--import',
  'tsx',
  SCRIPT,
  file,
  '--report',
  report,
  '--json',
  ...extra,
];
const env = () => ({ ...process.env, ...testEnv(), LOG_LEVEL: 'warn' });

function importSync(file: string, report: string, extra: string[] = []) {
  const r = spawnSync(process.execPath, args(file, report, extra), {
    cwd: ROOT,
    env: env(),
    encoding: 'utf8',
    timeout: 110_000,
  });
  if (r.status !== 0) throw new Error(`import exited ${r.status}: ${r.stderr}`);
  return { summary: JSON.parse(r.stdout.trim().split('\n').pop()!) as ImportSummary, stderr: r.stderr };
}

/** Until the consumer group has committed everything the topic holds now (the import's acks are in). */
async function consumerCaughtUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const high = await admin.fetchTopicOffsets(TOPICS.prices);
    await waitFor(
      'the price consumer to store everything imported',
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [TOPICS.prices] });
        return high.every((h) => {
          const c = committed.partitions.find((p) => p.partition === h.partition);
          return c !== undefined && BigInt(c.offset) >= BigInt(h.high);
        });
      },
      90_000,
      200,
    );
  } finally {
    await admin.disconnect();
  }
}

/** (stock, minute) pairs in Redis for these stocks: minute index and history hash, which must agree. */
async function storedPairs(stocks: string[]): Promise<{ index: number; history: number }> {
  const p = redis.pipeline();
  for (const id of stocks) p.zcard(priceIndexKey(id)).hlen(priceHistoryKey(id));
  const r = ((await p.exec()) ?? []).map(([, n]) => Number(n));
  return {
    index: r.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0),
    history: r.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0),
  };
}

/** Everything Redis holds for these stocks, byte for byte. */
async function snapshot(stocks: string[]): Promise<string> {
  const out: unknown[] = [];
  for (const id of stocks) {
    out.push(
      // HGETALL's order is the hash's internal order, which a rewrite may change: sorted by minute.
      Object.entries(await redis.hgetall(priceHistoryKey(id))).sort(([x], [y]) => (x < y ? -1 : 1)),
      await redis.zrange(priceIndexKey(id), 0, -1, 'WITHSCORES'),
      await redis.get(latestPriceKey(id)),
    );
  }
  return JSON.stringify(out);
}

test('bad rows go to the report with line and reason, good rows are stored; a re-import changes nothing', async () => {
  const [a, b] = [randomStockId(), randomStockId()];
  const rows = ['stockId,minute,price,last,open,low,high,yesterday,trades,volume,value'];
  for (let i = 0; i < 10; i++) {
    rows.push(`${a},${iso(i)},${2850 + i},${2851 + i},2840,2830,2870,2800,${i},${i * 100},${i * 285000}`);
    rows.push(`${b},${iso(i)},${5640 + i},,,,,,,,`);
  }
  const bad: [string, RegExp][] = [
    [`1234,${iso(3)},100,,,,,,,,`, /stockId "1234" is not a 15–17 digit instrument code/],
    [`${a},2025-10-08T06:30:30Z,100,,,,,,,,`, /is not on the minute grid/],
    [`${a},${iso(20)},0,,,,,,,,`, /price "0" is not a positive whole number/],
    [`${a},${iso(21)},100`, /has 3 fields, the header has 11/],
    [`${a},2099-01-01T00:00:00Z,100,,,,,,,,`, /is in the future/],
    [`${a},2025-02-30T00:00:00Z,100,,,,,,,,`, /has no day 30/],
  ];
  // The bad rows are spread among the good ones: line numbers 4, 8, 12, ...
  const lines = [...rows];
  bad.forEach(([row], k) => lines.splice(3 + k * 4, 0, row));
  const file = join(dir, 'small.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const report = join(dir, 'small.report.tsv');

  const { summary, stderr } = importSync(file, report);
  expect(summary).toMatchObject({ rows: 26, rejected: 6, ticks: 20, stocks: 2, interrupted: false });
  expect(stderr).toMatch(/import: 26 rows \(6 rejected\) · [\d,]+ rows\/s · 100\.0% of/);
  const reported = readFileSync(report, 'utf8').trim().split('\n');
  expect(reported[0]).toBe('line\treason\trow');
  expect(reported.slice(1).map((l) => Number(l.split('\t')[0]))).toEqual(
    bad.map(([row]) => lines.indexOf(row) + 1),
  );
  bad.forEach(([row, reason], k) => {
    const [, why, text] = reported[k + 1].split('\t');
    expect(why).toMatch(reason);
    expect(text).toBe(row);
  });

  await consumerCaughtUp();
  expect(await storedPairs([a, b])).toEqual({ index: 20, history: 20 });
  const history = await readPriceHistory(redis, a, new Date(t0), new Date(t0 + 9 * 60_000));
  expect(history[3]).toEqual({
    stockId: a,
    minute: new Date(t0 + 3 * 60_000).toISOString(),
    price: 2853,
    last: 2854,
    open: 2840,
    low: 2830,
    high: 2870,
    yesterday: 2800,
    trades: 3,
    volume: 300,
    value: 855000,
    source: 'tsetmc',
    fetchedAt: new Date(t0 + 3 * 60_000).toISOString(),
  });
  expect((await readLatestTick(redis, b))?.minute).toBe(new Date(t0 + 9 * 60_000).toISOString());

  // The same file again: every tick is published again (the checkpoint said done), Redis is unchanged.
  const before = await snapshot([a, b]);
  const again = importSync(file, report);
  expect(again.summary).toMatchObject({ ticks: 20, publishedThisRun: 20, resumedFromLine: 0 });
  expect(again.stderr).toMatch(/the import of this file finished at .*; importing it again/);
  await consumerCaughtUp();
  expect(await snapshot([a, b])).toBe(before);
});

test('SIGKILL after the first checkpoint, restart: resumes past 0, Redis holds exactly the file’s pairs', async () => {
  const stocks = Array.from({ length: 50 }, randomStockId);
  const MINUTES = 3_000; // 150,000 rows, ~14 MB
  const file = join(dir, 'big.csv');
  const parts = ['stockId,minute,price\n'];
  for (let i = 0; i < MINUTES; i++) {
    const m = iso(i);
    parts.push(stocks.map((s, k) => `${s},${m},${1000 + ((i * 7 + k) % 500)}\n`).join(''));
  }
  writeFileSync(file, parts.join(''));
  const report = join(dir, 'big.report.tsv');
  const checkpoint = `${report}.checkpoint.json`;

  // Small batches, one in flight: many checkpoints, so the kill lands in the middle.
  const child: ChildProcess = spawn(
    process.execPath,
    args(file, report, ['--batch', '500', '--in-flight', '1']),
    {
      cwd: ROOT,
      env: env(),
      stdio: 'ignore',
    },
  );
  const killedAt = await waitFor(
    'the first checkpoint',
    async () => {
      try {
        const cp = JSON.parse(readFileSync(checkpoint, 'utf8')) as { line: number; done: boolean };
        return cp.line > 1 ? cp : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
    5,
  );
  child.kill('SIGKILL');
  await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
  expect(child.signalCode).toBe('SIGKILL');
  const left = JSON.parse(readFileSync(checkpoint, 'utf8')) as { line: number; done: boolean };
  expect(left.done).toBe(false);
  expect(left.line).toBeGreaterThanOrEqual(killedAt.line);
  await sleep(100);

  const { summary, stderr } = importSync(file, report);
  const resumedAt = /import: resuming after line ([\d,]+) \(byte [\d,]+ of [\d,]+, ([\d.]+)%\)/.exec(stderr);
  expect(resumedAt).not.toBeNull();
  expect(Number(resumedAt![1].replace(/,/g, ''))).toBe(summary.resumedFromLine);
  expect(summary.resumedFromLine).toBeGreaterThan(1);
  expect(Number(resumedAt![2])).toBeGreaterThan(0);
  // The first progress line of the restart is already past 0 %.
  const firstProgress = /import: ([\d,]+) rows \(0 rejected\) · [\d,]+ rows\/s · ([\d.]+)% of/.exec(stderr);
  expect(Number(firstProgress![2])).toBeGreaterThan(0);
  expect(summary).toMatchObject({ rows: MINUTES * 50, rejected: 0, ticks: MINUTES * 50, interrupted: false });
  expect(summary.publishedThisRun).toBeLessThan(MINUTES * 50);
  expect(summary.publishedThisRun).toBe(MINUTES * 50 - (summary.resumedFromLine - 1));

  await consumerCaughtUp();
  expect(await storedPairs(stocks)).toEqual({ index: MINUTES * 50, history: MINUTES * 50 });
  const p = redis.pipeline();
  for (const id of stocks)
    p.zrange(priceIndexKey(id), 0, 0, 'WITHSCORES').zrange(priceIndexKey(id), -1, -1, 'WITHSCORES');
  const ends = ((await p.exec()) ?? []).map(([, r]) => Number((r as string[])[1]));
  expect(new Set(ends)).toEqual(new Set([t0, t0 + (MINUTES - 1) * 60_000]));
}, 180_000);
