// Every setting the service reads, from the environment, with local defaults; validated once at start.
// No other module of the product reads process.env. The local stack's, the tests' and the tools' own
// settings are read the same way, with the helpers below, in scripts/stack/stack-config.ts.
import { z } from 'zod';
import { STOCK_ID, STOCK_ID_RULE } from '../contracts/ids';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

const DEMO_STOCKS = ['778253364357513', '44891482026867833', '46348559193224090', '35425587644337450'];

export const port = z.coerce.number().int().min(1).max(65535);
export const positiveInt = z.coerce.number().int().positive();

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port');
const stockId = z.string().regex(STOCK_ID, `must be ${STOCK_ID_RULE}`);
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 500ms, 30s, 5m, 2h or 1d')
  .transform(durationToMs);
/**
 * `redis://[user:password@]host:port[/db]`, or several nodes of one cluster:
 * `redis://host:port,host:port,...` (the cluster's seed nodes).
 */
const redisUrl = z
  .string()
  .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// URL')
  .refine((url) => {
    try {
      return redisUrlNodes(url).length > 0;
    } catch {
      return false;
    }
  }, 'must be redis://host:port or redis://host:port,host:port,... (the nodes of one cluster)');

export interface RedisNode {
  host: string;
  port: number;
}

/** The nodes a REDIS_URL names: one, or a cluster's seed nodes (comma-separated host:port). */
export function redisUrlNodes(url: string): RedisNode[] {
  const m = /^(rediss?:\/\/)(?:([^@/]*)@)?([^/?#]+)(.*)$/.exec(url);
  if (!m) throw new Error(`not a redis:// URL: ${url}`);
  return m[3].split(',').map((hostPort) => {
    const u = new URL(`${m[1]}${hostPort}`);
    if (!u.hostname || (u.port === '' && hostPort.includes(':'))) throw new Error(`bad node ${hostPort}`);
    return { host: u.hostname, port: Number(u.port || 6379) };
  });
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');
const weekdays = z
  .string()
  .transform((s) => s.split(',').map((d) => d.trim().toLowerCase()))
  .pipe(z.array(z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'])).min(1));
const list = (item: z.ZodString) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1));

export function durationToMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(m[1]) * unit;
}

/** Settings: each variable's schema and its default (as the text a user would write). */
export type Variables = Readonly<Record<string, readonly [z.ZodType, string]>>;
export type Settings<V extends Variables> = { readonly [K in keyof V]: z.output<V[K][0]> };

/** Each variable's default, as a user writes it (README's table is checked against these). */
export function settingDefaults<V extends Variables>(vars: V): Readonly<Record<keyof V, string>> {
  return Object.fromEntries(Object.entries(vars).map(([name, [, fallback]]) => [name, fallback])) as Readonly<
    Record<keyof V, string>
  >;
}

/** Parses each variable from `env` (or its default); throws ConfigError naming the first bad one. */
export function parseSettings<V extends Variables>(
  vars: V,
  env: Record<string, string | undefined>,
): Settings<V> {
  const out: Record<string, unknown> = {};
  for (const [name, [schema, fallback]] of Object.entries(vars)) {
    const raw = env[name] ?? fallback;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(
        name,
        `= ${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    out[name] = parsed.data;
  }
  return out as Settings<V>;
}

/** `load` once per process; on a bad value prints the variable's name and exits. */
export function loadOnce<T>(load: () => T): () => T {
  let cached: T | undefined;
  return () => {
    if (cached) return cached;
    try {
      cached = load();
      return cached;
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(78); // EX_CONFIG
      }
      throw err;
    }
  };
}

const variables = {
  LOG_LEVEL: [z.enum(['debug', 'info', 'warn', 'error']), 'info'],
  TEMPORAL_ADDRESS: [hostPort, '127.0.0.1:7233'],
  TEMPORAL_NAMESPACE: [z.string().min(1), 'default'],
  KAFKA_BROKERS: [list(hostPort), '127.0.0.1:9092'],
  KAFKA_CLIENT_ID: [z.string().min(1), 'bourse'],
  /** Replicas of every bourse topic, set when it is created; min.insync.replicas is one less (at least 1). */
  KAFKA_REPLICATION_FACTOR: [positiveInt.max(5), '1'],
  REDIS_URL: [redisUrl, 'redis://127.0.0.1:6379'],
  /** `auto`: Redis Cluster's client when REDIS_URL names several nodes; `on` also for one seed node. */
  REDIS_CLUSTER: [z.enum(['auto', 'on', 'off']), 'auto'],
  /** Replicas that must acknowledge a money write (WAIT); `auto`: 1 on a cluster, 0 on one server. */
  REDIS_MONEY_REPLICAS: [z.union([z.literal('auto'), z.coerce.number().int().min(0).max(5)]), 'auto'],
  /** How long a money write waits for its replicas before it is reported as not done. */
  REDIS_MONEY_WAIT_TIMEOUT: [duration, '1s'],
  API_HOST: [z.string().min(1), '127.0.0.1'],
  API_PORT: [port, '3000'],
  OPS_HOST: [z.string().min(1), '127.0.0.1'],
  WORKER_OPS_PORT: [port, '9101'],
  WORKER_TEMPORAL_METRICS_PORT: [port, '9102'],
  CONSUMER_OPS_PORT: [port, '9103'],
  ORDER_EVENTS_CONSUMER_OPS_PORT: [port, '9104'],
  PRICE_SOURCE: [z.enum(['simulated', 'tsetmc']), 'simulated'],
  STOCKS: [list(stockId), DEMO_STOCKS.join(',')],
  TSETMC_BASE_URL: [z.url(), 'https://cdn.tsetmc.com/api/'],
  TSETMC_TIMEOUT: [duration, '10s'],
  MARKET_TIMEZONE: [z.string().min(1), 'Asia/Tehran'],
  MARKET_DAYS: [weekdays, 'sat,sun,mon,tue,wed'],
  MARKET_OPEN: [hhmm, '09:00'],
  MARKET_CLOSE: [hhmm, '12:30'],
  MARKET_CALENDAR: [z.enum(['auto', 'on', 'off']), 'auto'],
  PRICE_MAX_AGE: [duration, '2m'],
  /** How long a good-till-cancelled limit order waits before it expires unfilled. */
  LIMIT_ORDER_MAX_AGE: [duration, '30d'],
  /** TSE's daily band, percent: a limit must lie within yesterday's close ± this. */
  PRICE_BAND: [z.coerce.number().min(0).max(100), '5'],
  PRICE_SCHEDULE_ID: [z.string().min(1), 'price-fetch'],
  PRICE_CATCHUP_WINDOW: [duration, '1d'],
  PRICE_HISTORY_RETENTION: [duration, '30d'],
  PRICE_CONSUMER_GROUP: [z.string().min(1), 'bourse-price-consumer'],
  ORDER_EVENTS_CONSUMER_GROUP: [z.string().min(1), 'bourse-order-events'],
  /** The API processes' group on `order-requests` (the burst intake). */
  ORDER_INTAKE_CONSUMER_GROUP: [z.string().min(1), 'bourse-order-intake'],
  ORDER_EVENTS_CONSUMER_MAX_ATTEMPTS: [positiveInt.max(20), '3'],
  ORDER_EVENTS_CONSUMER_SESSION_TIMEOUT: [duration, '30s'],
  /** Per user, about how many order events the SSE resume stream keeps (XADD MAXLEN ~). */
  ORDER_EVENTS_STREAM_MAXLEN: [positiveInt.max(1_000_000), '1000'],
  SSE_HEARTBEAT: [duration, '15s'],
  /** Bytes an SSE client may leave unread before its connection is dropped. */
  SSE_BUFFER_BYTES: [positiveInt.max(64 * 1024 * 1024), '262144'],
  /** Open SSE connections one API process serves (each holds a Redis connection). */
  SSE_MAX_CLIENTS: [positiveInt.max(100_000), '1000'],
  /** An SSE connection is closed after this long; the client reconnects with Last-Event-ID. */
  SSE_MAX_DURATION: [duration, '1h'],
  /** How often an API process with SSE clients looks for new price ticks. */
  SSE_PRICE_POLL: [duration, '1s'],
  PRICE_CONSUMER_CONCURRENCY: [positiveInt.max(256), '4'],
  PRICE_CONSUMER_MAX_ATTEMPTS: [positiveInt.max(20), '3'],
  PRICE_CONSUMER_SESSION_TIMEOUT: [duration, '30s'],
  TSETMC_MAX_ATTEMPTS: [positiveInt.max(20), '4'],
  TSETMC_RETRY_BASE: [duration, '1s'],
  TSETMC_CONCURRENCY: [positiveInt.max(32), '4'],
  VERIFY_DELAY_MIN: [duration, '1s'],
  VERIFY_DELAY_MAX: [duration, '100s'],
  VERIFY_TIMEOUT: [duration, '60s'],
  VERIFIER_URL: [z.union([z.literal(''), z.url()]), ''],
  ORDER_START_TIMEOUT: [duration, '5s'],
  /**
   * How long POST /orders waits for the credit check before it answers 202 `Pending: Credit check
   * queued.` instead: the order is then recorded on `order-requests` and checked at its turn.
   */
  ORDER_QUEUE_AFTER: [duration, '300ms'],
  ORDER_MAX_IN_FLIGHT: [positiveInt.max(100_000), '16'],
  ORDER_QUEUE_MAX: [positiveInt.max(1_000_000), '1000'],
  RESULT_WAIT_MAX: [duration, '75s'],
  SHUTDOWN_GRACE: [duration, '30s'],
  READY_CHECK_TIMEOUT: [duration, '2s'],
  WORKER_MAX_CONCURRENT_ACTIVITIES: [positiveInt.max(10_000), '200'],
  // Worker tuning (the SDK's defaults; docs/performance.md has what each measured on the order path).
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: [positiveInt.min(2).max(10_000), '40'],
  WORKER_MAX_LOCAL_ACTIVITIES: [positiveInt.max(10_000), '100'],
  WORKER_WORKFLOW_TASK_POLLERS: [positiveInt.max(1_000), '10'],
  WORKER_ACTIVITY_TASK_POLLERS: [positiveInt.max(1_000), '10'],
  /** Workflows kept in the worker's sticky cache; empty: the SDK's, from the heap size. */
  WORKER_MAX_CACHED_WORKFLOWS: [z.union([z.literal(''), z.coerce.number().int().min(0).max(1_000_000)]), ''],
  WORKFLOW_BUNDLE: [z.string(), ''],
  RATE_LIMIT_REQUESTS: [positiveInt.max(1_000_000), '600'],
  RATE_LIMIT_WINDOW: [duration, '1m'],
  REQUEST_READ_TIMEOUT: [duration, '15s'],
  REQUEST_TIMEOUT: [duration, '90s'],
} as const;

/** Every variable the service reads and its default, as a user writes it. */
export const CONFIG_DEFAULTS = settingDefaults(variables);
export type Config = Settings<typeof variables>;

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cfg = parseSettings(variables, env);
  if (cfg.VERIFY_DELAY_MIN > cfg.VERIFY_DELAY_MAX) {
    throw new ConfigError('VERIFY_DELAY_MIN', 'must not exceed VERIFY_DELAY_MAX');
  }
  if (cfg.REQUEST_TIMEOUT <= cfg.RESULT_WAIT_MAX) {
    throw new ConfigError('REQUEST_TIMEOUT', 'must exceed RESULT_WAIT_MAX (a long poll must fit)');
  }
  if (cfg.MARKET_OPEN >= cfg.MARKET_CLOSE)
    throw new ConfigError('MARKET_OPEN', 'must be before MARKET_CLOSE');
  return Object.freeze(cfg);
}

/** The process's configuration; on a bad value prints the variable's name and exits. */
export const config = loadOnce(() => loadConfig());
