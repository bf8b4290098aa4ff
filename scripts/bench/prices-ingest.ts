// `npm run bench`'s ingest figures: the price consumer's ticks/s into Redis from a pre-filled
// 6-partition topic with 1, 2, 3… consumer processes in one group, next to
// `redis-benchmark -q -t set -P 16` on the same Redis in the same run, for scale.
import { coresText, unwatchCpu, watchCpu, withCpu } from './cpu';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Partitioners, type Admin } from 'kafkajs';
import type { StackConfig } from '../stack/stack-config';
import { createKafka } from '../../lib/infra/kafka';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { simulatedTick } from '../../lib/prices/sources/simulated';
import type { PriceTick } from '../../lib/contracts/price-tick';
import { writeTicks } from '../../lib/store/price-history';
import { waitFor } from '../wait';
import { stopChild } from '../stack/app-control';
import { ROOT } from '../stack/spec';
import { peakRssMiB, say } from './bench-lib';
import { BENCH_ENV, PROFILE_DIR, STACK_DIR } from './options';
import type { FromConsumer, ToConsumer } from './prices-ingest-consumer';
import { countStored, MINUTE, stockIds } from './prices-common';

/** `redis-benchmark -q -t set -P 16`: Redis's own pipelined SET rate, requests/s. */
function redisBenchmarkSet(cfg: StackConfig, requests = 1_000_000): number {
  const r = spawnSync(
    'redis-benchmark',
    ['-q', '-t', 'set', '-P', '16', '-n', String(requests), '-p', String(cfg.redisPort)],
    { encoding: 'utf8' },
  );
  const line = `${r.stdout}`
    .split(/\r|\n/)
    .filter((l) => l.includes('requests per second'))
    .pop();
  const rps = Number(/([\d.]+) requests per second/.exec(line ?? '')?.[1]);
  if (!rps) throw new Error(`redis-benchmark failed: ${r.stderr}${r.stdout}`);
  return Math.round(rps);
}

/** One measured pass over the whole topic by `processes` consumer processes in a new group. */
export interface IngestRun {
  processes: number;
  /** Ticks written ÷ ("go" → the last chunk written), all processes together. */
  ticksPerSecond: number;
  seconds: number;
  /** ticksPerSecond ÷ the run's mean redis-benchmark SET/s (target for 1 process: ≥ 0.25). */
  ratioToRedisBenchmark: number;
  /** From starting the processes to a stable group holding every partition (not in the rate). */
  joinSeconds: number;
  /** Ticks each process wrote. */
  ticksByProcess: number[];
  peakRssMiB: number[];
  /** Cores each consumer process, Redis and Kafka used during the pass (cpu.ts). */
  cpuCores: Record<string, number>;
}

export interface IngestFigures {
  ticks: number;
  stored: number;
  produceTicksPerSecond: number;
  /** redis-benchmark before the first and after the last pass, and their mean (the ratios' base). */
  redisBenchmarkSetP16PerSecond: number;
  redisBenchmarkSetP16Runs: number[];
  runs: IngestRun[];
  /** writeTicks alone from the bench process (no Kafka, no parsing): the store's own rate, ticks/s. */
  storeOnlyTicksPerSecond: number;
  storeOnlyRatioToRedisBenchmark: number;
}

const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

const CONSUMER_SCRIPT = 'scripts/bench/prices-ingest-consumer.ts';

/** A consumer process of the pass and what it has reported so far. */
interface Member {
  child: ChildProcess;
  partitions: number[];
  written: number;
  lastAt: number;
}

/** True once every member holds partitions, together each of the topic's once. */
function assignmentComplete(members: readonly Member[], partitionCount: number): boolean {
  const held = members.flatMap((m) => m.partitions);
  return (
    members.every((m) => m.partitions.length > 0 || members.length > partitionCount) &&
    held.length === partitionCount &&
    new Set(held).size === partitionCount
  );
}

/**
 * One pass: `n` consumer processes join a new group at the topic's end; once the group is stable and
 * holds every partition, "go" (each seeks its partitions to 0) and the clock runs until `total` ticks
 * are written.
 */
async function ingestPass(
  admin: Admin,
  topic: string,
  total: number,
  n: number,
  opts: { label: string; profile: boolean },
): Promise<Omit<IngestRun, 'ratioToRedisBenchmark'>> {
  const groupId = `bench-${topic}-${opts.label}`;
  mkdirSync(join(STACK_DIR, 'logs'), { recursive: true });
  const starting = Date.now();
  const members: Member[] = Array.from({ length: n }, (_, i) => {
    const name = `ingest-consumer-${opts.label}-${i + 1}`;
    const out = openSync(join(STACK_DIR, 'logs', `${name}.log`), 'a');
    const flags = opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`] : [];
    const child = spawn('node', [...flags, '--import', 'tsx', CONSUMER_SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, ...BENCH_ENV, BENCH_INGEST_TOPIC: topic, BENCH_INGEST_GROUP: groupId },
      stdio: ['ignore', out, out, 'ipc'],
    });
    const member: Member = { child, partitions: [], written: 0, lastAt: 0 };
    child.on('message', (m: FromConsumer) => {
      if (m.type === 'joined') member.partitions = m.partitions;
      else {
        member.written += m.count;
        member.lastAt = Math.max(member.lastAt, m.at);
      }
    });
    return member;
  });
  const logs = `${STACK_DIR}/logs/ingest-consumer-${opts.label}-*.log`;
  /** Polls `probe` until true; a consumer process that exits ends the wait with an error. */
  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs: number) => {
    const exited = () => members.some((m) => m.child.exitCode !== null || m.child.signalCode !== null);
    const r = await waitFor(what, async () => (exited() ? 'exited' : await probe()), timeoutMs);
    if (r === 'exited') throw new Error(`an ingest consumer exited while waiting for ${what}; see ${logs}`);
  };
  try {
    const [{ numPartitions }] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics.map((t) => ({
      numPartitions: t.partitions.length,
    })) as [{ numPartitions: number }];
    await until(
      `${n} ingest consumers in a stable group`,
      async () => {
        if (!assignmentComplete(members, numPartitions)) return false;
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === n;
      },
      120_000,
    );
    const joinSeconds = (Date.now() - starting) / 1000;
    const go = Date.now();
    members.forEach((m, i) => watchCpu(`consumer-${i + 1}`, m.child.pid));
    for (const m of members) m.child.send({ type: 'go' } satisfies ToConsumer);
    const written = () => members.reduce((s, m) => s + m.written, 0);
    const { cores } = await withCpu(() =>
      until(`${total} ticks written by ${n} ingest consumers`, async () => written() >= total, 600_000),
    );
    members.forEach((_, i) => unwatchCpu(`consumer-${i + 1}`));
    const seconds = (Math.max(...members.map((m) => m.lastAt)) - go) / 1000;
    return {
      processes: n,
      ticksPerSecond: Math.round(written() / seconds),
      seconds,
      joinSeconds,
      ticksByProcess: members.map((m) => m.written),
      peakRssMiB: members.map((m) => (m.child.pid ? (peakRssMiB(m.child.pid) ?? 0) : 0)),
      cpuCores: cores,
    };
  } finally {
    await Promise.all(members.map((m) => stopChild(m.child, 30_000)));
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/**
 * The store alone: the same ticks written with writeTicks as the consumer writes them (stocks in 6
 * groups like the 6 partitions, each group in minute order, chunks of 2,000, the 6 groups at once),
 * from the bench process, already serialised: no Kafka, no parsing. Ticks/s.
 */
async function storeOnly(
  redis: Redis,
  stocks: readonly string[],
  t0: number,
  minutes: number,
  retentionMs: number,
): Promise<number> {
  const groups = Array.from({ length: 6 }, () => ({ ticks: [] as PriceTick[], json: [] as string[] }));
  for (let m = 0; m < minutes; m++) {
    stocks.forEach((id, i) => {
      const t = simulatedTick(id, new Date(t0 + m * MINUTE));
      groups[i % 6].ticks.push(t);
      groups[i % 6].json.push(JSON.stringify(t));
    });
  }
  const chunk = 2_000;
  const started = Date.now();
  await Promise.all(
    groups.map(async (g) => {
      for (let i = 0; i < g.ticks.length; i += chunk) {
        const errors = await writeTicks(
          redis,
          g.ticks.slice(i, i + chunk),
          g.json.slice(i, i + chunk),
          retentionMs,
        );
        const failed = [...errors.values()].find((e) => e !== null);
        if (failed) throw failed;
      }
    }),
  );
  return Math.round((stocks.length * minutes) / ((Date.now() - started) / 1000));
}

/**
 * Fills a fresh 6-partition topic once; a warm-up pass (the most processes; discarded) writes every
 * tick, then each count of `processes` rewrites them all (the same HSET/ZADD work each pass).
 */
export async function benchIngest(
  cfg: StackConfig,
  opts: { stocks: number; minutes: number; processes: readonly number[]; profile: boolean },
): Promise<IngestFigures> {
  const stocks = stockIds(opts.stocks, '81');
  const { minutes } = opts;
  const total = stocks.length * minutes;
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const topic = `bench-stock-prices-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  say(`ingest: filling ${topic} with ${total} ticks (${stocks.length} stocks × ${minutes} minutes)`);
  const t0 = Date.UTC(2025, 9, 8, 0, 0);
  const producing = Date.now();
  for (let m = 0; m < minutes; m += 3) {
    const batch = [];
    for (let k = m; k < Math.min(m + 3, minutes); k++) {
      for (const id of stocks)
        batch.push({ key: id, value: JSON.stringify(simulatedTick(id, new Date(t0 + k * MINUTE))) });
    }
    await producer.send({ topic, messages: batch });
  }
  const produceSeconds = (Date.now() - producing) / 1000;
  await producer.disconnect();

  const redisBefore = redisBenchmarkSet(cfg);
  const most = Math.max(...opts.processes);
  say(`ingest: warm-up pass, ${most} process(es)`);
  await ingestPass(admin, topic, total, most, { label: 'warmup', profile: false });
  const passes = [];
  for (const n of opts.processes) {
    say(`ingest: ${n} process(es)`);
    const pass = await ingestPass(admin, topic, total, n, { label: `${n}p`, profile: opts.profile });
    say(`ingest: ${n} process(es): ${pass.ticksPerSecond} ticks/s; cores: ${coresText(pass.cpuCores)}`);
    passes.push(pass);
  }
  say('ingest: the store alone (writeTicks from the bench process)');
  const storeRate = await storeOnly(redis, stocks, t0, minutes, cfg.PRICE_HISTORY_RETENTION);
  const redisAfter = redisBenchmarkSet(cfg);
  const redisMean = Math.round((redisBefore + redisAfter) / 2);
  const stored = await countStored(redis, stocks, t0, t0 + minutes * MINUTE);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  redis.disconnect();
  return {
    ticks: total,
    stored,
    produceTicksPerSecond: Math.round(total / produceSeconds),
    redisBenchmarkSetP16PerSecond: redisMean,
    redisBenchmarkSetP16Runs: [redisBefore, redisAfter],
    runs: passes.map((p) => ({ ...p, ratioToRedisBenchmark: ratio(p.ticksPerSecond, redisMean) })),
    storeOnlyTicksPerSecond: storeRate,
    storeOnlyRatioToRedisBenchmark: ratio(storeRate, redisMean),
  };
}

/** The printed table's ingest rows. */
export function ingestRows(f: IngestFigures): [string, string, string][] {
  const base = `redis-benchmark SET -P 16 ${f.redisBenchmarkSetP16PerSecond}/s (${f.redisBenchmarkSetP16Runs.join(', ')})`;
  return [
    ...f.runs.map((r): [string, string, string] => [
      `consumer ingest, ${r.processes} process(es)`,
      `${r.ticksPerSecond} ticks/s (n=${f.ticks}, stored ${f.stored})`,
      `${base}; ratio ${r.ratioToRedisBenchmark}`,
    ]),
    [
      'the store alone (writeTicks, no Kafka)',
      `${f.storeOnlyTicksPerSecond} ticks/s`,
      `ratio ${f.storeOnlyRatioToRedisBenchmark} of redis-benchmark`,
    ],
  ];
}
