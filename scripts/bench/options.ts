// The options of `npm run bench` (scripts/bench/bench.ts) and the bench stack's fixed settings.
import { join } from 'node:path';
import { BACKFILL_DEFAULTS } from '../../lib/prices/backfill-plan';
import type { CommandSpec, Values } from '../cli';
import { ROOT } from '../stack/spec';
import { stackConfig } from '../stack/stack-config';

export const SCENARIOS: readonly string[] = [
  'ceiling',
  'ceiling-shape',
  'accept',
  'opening',
  'complete',
  'delivery',
  'sse',
  'orders-list',
  'limits',
  'startup',
  'ingest',
  'catchup',
  'backfill',
  'freshness',
  'import',
];

export const command = {
  usage: 'npm run bench --',
  summary:
    'every performance figure of bourse on a stack of its own (.stack/bench) with the real processes; ' +
    'prints a table and writes bench-results/bench-<time>.json. Not a pass/fail test',
  options: {
    duration: { kind: 'duration', description: 'each measured load phase (20, 20s, 1m)', default: '20s' },
    rates: {
      kind: 'list',
      description: 'offered POST /orders rates of the acceptance scenario',
      default: '25,50,100',
    },
    'complete-rate': {
      kind: 'number',
      description: 'offered rate of the completion scenario',
      default: '200',
    },
    samples: {
      kind: 'integer',
      description: 'orders (samples) of each result-delivery scenario (delivery, sse)',
      default: '1000',
    },
    orders: {
      kind: 'integer',
      description: 'orders the opening scenario offers (from 200 users, round robin)',
      default: '2000',
    },
    seconds: {
      kind: 'number',
      description: 'the opening scenario offers its orders within this many seconds',
      default: '10',
    },
    stocks: { kind: 'integer', description: 'simulated stocks of the price scenarios', default: '700' },
    hours: { kind: 'number', description: 'the catch-up gap, in hours', default: '24' },
    'ingest-minutes': {
      kind: 'integer',
      description: 'minutes of ticks the ingest figure writes',
      default: '300',
    },
    'ingest-processes': {
      kind: 'list',
      description: 'consumer processes (in one group) of each ingest pass, on the 6 partitions',
      default: '1,2,3',
      choices: ['1', '2', '3', '4', '5', '6'],
    },
    'fresh-minutes': { kind: 'integer', description: 'minutes the freshness figure observes', default: '2' },
    'backfill-block': {
      kind: 'integer',
      description: "the priceBackfill workflow's block, in minutes",
      default: String(BACKFILL_DEFAULTS.blockMinutes),
    },
    'backfill-parallel': {
      kind: 'integer',
      description: 'priceBackfill blocks at once',
      default: String(BACKFILL_DEFAULTS.parallel),
    },
    'import-sizes': {
      kind: 'list',
      description: 'generated files the import figure runs prices:import on (5GB on request)',
      default: '100MB,1GB',
    },
    'limit-orders': {
      kind: 'integer',
      description: 'open limit buys of the limits scenario (one tick then crosses half)',
      default: '5000',
    },
    starts: {
      kind: 'integer',
      description: 'starts of the API and the worker each way (npm start, the image) in the startup scenario',
      default: '3',
    },
    only: {
      kind: 'list',
      description: 'the scenarios to run',
      default: SCENARIOS.join(','),
      choices: SCENARIOS,
    },
    profile: {
      kind: 'boolean',
      description: 'run worker, consumer and API under --cpu-prof; print their hottest functions',
    },
    'keep-stack': { kind: 'boolean', description: 'leave the bench stack running (the next run reuses it)' },
  },
} as const satisfies CommandSpec;

export type BenchOptions = Values<typeof command.options>;

/**
 * The bench stack: its own ports (far from the demo's 3000/7233/9092/6379 and the tests' 13000–19492).
 * BENCH_PORT_OFFSET (environment, default 0) shifts every port and the stack's folder, so two benches
 * on one machine (two checkouts) never share a stack: `BENCH_PORT_OFFSET=10000 npm run bench`.
 */
export const { BENCH_PORT_OFFSET } = stackConfig();
const port = (p: number) => String(p + BENCH_PORT_OFFSET);
export const BENCH_ENV: Record<string, string> = {
  TEMPORAL_ADDRESS: `127.0.0.1:${port(27233)}`,
  TEMPORAL_UI_PORT: port(28233),
  KAFKA_BROKERS: `127.0.0.1:${port(29092)}`,
  REDIS_URL: `redis://127.0.0.1:${port(26379)}`,
  API_HOST: '127.0.0.1',
  API_PORT: port(23000),
  STACK_DIR: BENCH_PORT_OFFSET ? `.stack/bench-${BENCH_PORT_OFFSET}` : '.stack/bench',
  LOG_LEVEL: 'warn',
  // The bench measures the order path, not the per-key rate limit.
  RATE_LIMIT_REQUESTS: '1000000',
  // One price is put at the start and the order scenarios run for minutes: the fresh-price rule
  // (PRICE_MAX_AGE) is not what they measure.
  PRICE_MAX_AGE: '1d',
};
export const BASELINE_PORT = 23001 + BENCH_PORT_OFFSET;
export const BENCH_STOCK = '44891482026867833';
export const STACK_DIR = join(ROOT, BENCH_ENV.STACK_DIR);
export const PROFILE_DIR = join(STACK_DIR, 'profiles');
