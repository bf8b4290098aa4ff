// `npm run bench`'s import figure: `npm run prices:import` (the real command, its own process) on
// generated bourse CSV files of each `--import-sizes` (100MB,1GB; 5GB on request), with the bench's
// price consumer storing the ticks. Prints rows/s of the import (file → Kafka acknowledged) and of the
// whole path (file → Redis), the import process's peak RSS (which must not grow with the file), and
// checks that Redis holds exactly the file's (stock, minute) pairs. Then frees the Redis memory.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { flatTick } from '../../lib/contracts/price-tick';
import type { Config } from '../../lib/infra/config';
import { createKafka } from '../../lib/infra/kafka';
import { connectKafkaSender } from '../../lib/infra/kafka-sender';
import { createRedis, type Redis } from '../../lib/infra/redis';
import type { ImportSummary } from '../../lib/prices/import/importer';
import { latestPriceKey, priceHistoryKey, priceIndexKey } from '../../lib/store/keys';
import { ROOT } from '../stack/spec';
import { say, sleep } from './bench-lib';
import { BENCH_ENV, STACK_DIR } from './options';
import { MINUTE } from './prices-common';

const DAY = 1_440 * MINUTE;
/**
 * A generated file spans at most this many days, so the consumer's PRICE_HISTORY_RETENTION (the
 * bench's is the default 30 d, behind each stock's newest minute) trims none of its pairs: the
 * stock count grows with the file instead.
 */
const MAX_SPAN_DAYS = 20;
const ROW_BYTES_GUESS = 95;

export interface ImportFigures {
  size: string;
  bytes: number;
  rows: number;
  stocks: number;
  minutes: number;
  generateSeconds: number;
  importSeconds: number;
  /** Rows read, validated and acknowledged by Kafka per second, by the import process. */
  importRowsPerSecond: number;
  /** The same run's Kafka sender alone, ready-made messages (senderBaseline), messages/s. */
  senderBaselinePerSecond: number;
  /** importRowsPerSecond ÷ senderBaselinePerSecond. */
  ratioToSender: number;
  /** From the import's start until Redis holds every pair: file → Kafka → consumer → Redis. */
  storedSeconds: number;
  endToEndRowsPerSecond: number;
  /** The import process's peak resident memory (process.resourceUsage().maxRSS). */
  importPeakRssMiB: number;
  expectedPairs: number;
  storedPairs: { index: number; history: number };
  exact: boolean;
  redisBytesPerTick: number;
}

/** `100MB`, `1GB`, `5GB` (powers of ten) → bytes. */
export function sizeBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB)$/i.exec(text.trim());
  if (!m) throw new Error(`--import-sizes: "${text}" is not a size such as 100MB or 1GB`);
  return Math.round(Number(m[1]) * { kb: 1e3, mb: 1e6, gb: 1e9 }[m[2].toLowerCase() as 'kb' | 'mb' | 'gb']);
}

/** Writes a bourse CSV of about `bytes`: whole minutes of `stocks` rows each, minute after minute. */
async function generate(file: string, bytes: number, baseStocks: number, tag: number) {
  const stocks = Math.max(baseStocks, Math.ceil(bytes / ROW_BYTES_GUESS / (MAX_SPAN_DAYS * 1_440)));
  const ids = Array.from(
    { length: stocks },
    (_, k) => `83${String(tag).padStart(6, '0')}${String(k).padStart(9, '0')}`,
  );
  const t0 = Math.floor(Date.now() / DAY) * DAY - (MAX_SPAN_DAYS + 1) * DAY;
  const out = createWriteStream(file);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  let written = 0;
  let minutes = 0;
  await write('stockId,minute,price,last,open,low,high,yesterday,trades,volume,value\n');
  while (written < bytes) {
    const minute = new Date(t0 + minutes * MINUTE).toISOString().replace('.000Z', 'Z');
    let chunk = '';
    for (let k = 0; k < stocks; k++) {
      const p = 1_000 + ((minutes * 7 + k * 13) % 50_000);
      const trades = (minutes + k) % 40;
      chunk += `${ids[k]},${minute},${p},${p + 5},${p - 10},${p - 20},${p + 20},${p - 5},${trades},${trades * 1000},${trades * 1000 * p}\n`;
    }
    written += Buffer.byteLength(chunk);
    minutes += 1;
    await write(chunk);
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return { ids, minutes, t0, bytes: statSync(file).size };
}

async function countPairs(redis: Redis, ids: string[]): Promise<{ index: number; history: number }> {
  let index = 0;
  let history = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const p = redis.pipeline();
    for (const id of ids.slice(i, i + 500)) p.zcard(priceIndexKey(id)).hlen(priceHistoryKey(id));
    ((await p.exec()) ?? []).forEach(([, n], j) =>
      j % 2 === 0 ? (index += Number(n)) : (history += Number(n)),
    );
  }
  return { index, history };
}

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);

/**
 * The same-run baseline: the one Kafka sender (lib/infra/kafka-sender.ts) publishing ready-made tick
 * messages, 5,000 a send and 4 sends in flight as the import does, to a topic of its own (6
 * partitions, no consumer): what the import could reach if reading and validating rows cost nothing.
 */
async function senderBaseline(cfg: Config, total = 200_000): Promise<number> {
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-import-baseline-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const sender = await connectKafkaSender(kafka);
  const t0 = Date.UTC(2025, 9, 8);
  const batches = Array.from({ length: total / 5_000 }, (_, b) =>
    Array.from({ length: 5_000 }, (_, i) => {
      const id = `84000000${String(i % 700).padStart(9, '0')}`;
      const t = flatTick(id, 1_000 + i, new Date(t0 + (b * 5_000 + i) * MINUTE));
      return { key: id, value: JSON.stringify(t), headers: { source: t.source } };
    }),
  );
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (const batch of batches) {
    inFlight.push(sender.send(topic, batch));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const rate = Math.round(total / ((performance.now() - started) / 1000));
  await sender.close();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  return rate;
}

/** Runs the real command; resolves to its JSON summary. */
function runImport(file: string, report: string): Promise<ImportSummary & { maxRssMiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/ops/import-prices.ts',
        file,
        '--report',
        report,
        '--json',
        '--restart',
        '--progress-every',
        '10s',
      ],
      { cwd: ROOT, env: { ...process.env, ...BENCH_ENV }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => process.stdout.write(`[bench]   ${d.toString().trimEnd()}\n`));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`prices:import exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ImportSummary & { maxRssMiB: number });
    });
  });
}

export async function benchImport(
  cfg: Config,
  { sizes, stocks: baseStocks }: { sizes: readonly string[]; stocks: number },
): Promise<ImportFigures[]> {
  const dir = join(STACK_DIR, 'import');
  mkdirSync(dir, { recursive: true });
  const redis = createRedis(cfg);
  const results: ImportFigures[] = [];
  try {
    for (const [n, size] of sizes.entries()) {
      const bytes = sizeBytes(size);
      const file = join(dir, `prices-${size}.csv`);
      say(`import: generating ${size} (${bytes} bytes) in ${file}`);
      const g0 = Date.now();
      const gen = await generate(file, bytes, baseStocks, (Math.round(Date.now() / 1000) % 1e5) * 10 + n);
      const generateSeconds = (Date.now() - g0) / 1000;
      const expectedPairs = gen.ids.length * gen.minutes;
      say(
        `import: ${gen.ids.length} stocks × ${gen.minutes} minutes = ${expectedPairs} rows, ${gen.bytes} bytes`,
      );
      const baseline = await senderBaseline(cfg);
      say(`import: baseline, the Kafka sender alone: ${baseline} messages/s`);
      const memBefore = await usedMemory(redis);
      const started = Date.now();
      const summary = await runImport(file, join(dir, `prices-${size}.report.tsv`));
      const importSeconds = (Date.now() - started) / 1000;
      // The consumer stores behind the import: until every pair is there, or nothing moves for 2 min.
      let stored = await countPairs(redis, gen.ids);
      let lastMove = Date.now();
      let last = stored.index;
      while (stored.index < expectedPairs && Date.now() - lastMove < 120_000) {
        await sleep(1_000);
        stored = await countPairs(redis, gen.ids);
        if (stored.index !== last) [last, lastMove] = [stored.index, Date.now()];
      }
      const storedSeconds = (Date.now() - started) / 1000;
      await sleep(2_000); // anything beyond the expected pairs would show now
      stored = await countPairs(redis, gen.ids);
      const memAfter = await usedMemory(redis);
      const figures: ImportFigures = {
        size,
        bytes: gen.bytes,
        rows: summary.rows,
        stocks: gen.ids.length,
        minutes: gen.minutes,
        generateSeconds,
        importSeconds,
        importRowsPerSecond: Math.round(summary.rows / summary.seconds),
        senderBaselinePerSecond: baseline,
        ratioToSender: Math.round((summary.rows / summary.seconds / baseline) * 100) / 100,
        storedSeconds,
        endToEndRowsPerSecond: Math.round(expectedPairs / storedSeconds),
        importPeakRssMiB: summary.maxRssMiB,
        expectedPairs,
        storedPairs: stored,
        exact: stored.index === expectedPairs && stored.history === expectedPairs && summary.rejected === 0,
        redisBytesPerTick: Math.round((memAfter - memBefore) / expectedPairs),
      };
      say(`import ${size}: ${JSON.stringify(figures)}`);
      results.push(figures);
      // Free Redis (UNLINK: reclaimed in the background) and the disk before the next size.
      for (let i = 0; i < gen.ids.length; i += 200) {
        const ids = gen.ids.slice(i, i + 200);
        await redis.unlink(
          ...ids.flatMap((id) => [priceHistoryKey(id), priceIndexKey(id), latestPriceKey(id)]),
        );
      }
      rmSync(file, { force: true });
    }
  } finally {
    redis.disconnect();
  }
  return results;
}

/** The table's rows for the import figures. */
export function importRows(figures: readonly ImportFigures[] | undefined): [string, string, string][] {
  const first = figures?.[0];
  return (figures ?? []).map((f) => [
    `prices:import ${f.size} (${f.rows} rows, ${f.stocks} stocks)`,
    `${f.importRowsPerSecond} rows/s import (×${f.ratioToSender} of the sender alone, ${f.senderBaselinePerSecond}/s); ${f.endToEndRowsPerSecond} rows/s file → Redis`,
    `peak RSS ${f.importPeakRssMiB} MiB${first && f !== first ? ` (×${(f.importPeakRssMiB / first.importPeakRssMiB).toFixed(2)} of ${first.size}'s)` : ''}; ` +
      `Redis pairs ${f.storedPairs.index}/${f.expectedPairs}${f.exact ? ' exact' : ' NOT EXACT'}`,
  ]);
}
