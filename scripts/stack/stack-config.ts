// The settings of the tools around the service: the local stack's (its folder, Temporal's Web UI and
// persistence, Prometheus), the tests', the bench's and the fuzzers'. Read like the service's own
// (lib/infra/config.ts, the same helpers), over them: a tool sees both, the product only its own.
import { z } from 'zod';
import {
  loadConfig,
  loadOnce,
  parseSettings,
  port,
  positiveInt,
  redisUrlNodes,
  settingDefaults,
  type Config,
  type Settings,
} from '../../lib/infra/config';

const stackVariables = {
  TEMPORAL_UI_PORT: [port, '8233'],
  /** The local stack's Temporal: the CLI's dev server on SQLite, or the server built from source on PostgreSQL. */
  TEMPORAL_PERSISTENCE: [z.enum(['sqlite', 'postgres']), 'sqlite'],
  PROMETHEUS_PORT: [port, '9090'],
  STACK_DIR: [z.string().min(1), '.stack/local'],
  TEST_STACK_PORT_OFFSET: [z.coerce.number().int().min(0).max(40_000), '0'],
  /** Shifts the bench stack's ports (27233–29092, API 23000) and folder: two benches on one machine. */
  BENCH_PORT_OFFSET: [z.coerce.number().int().min(0).max(36_000), '0'],
  FUZZ_RUNS: [positiveInt.max(10_000_000), '300'],
  FUZZ_SEED: [z.coerce.number().int(), '20261122'],
} as const;

/** Every variable the tools read beyond the service's, and its default, as a user writes it. */
export const STACK_CONFIG_DEFAULTS = settingDefaults(stackVariables);

/** The service's settings, the tools' own, and the ports the local stack listens on. */
export type StackConfig = Config &
  Settings<typeof stackVariables> & {
    readonly temporalPort: number;
    readonly kafkaPort: number;
    readonly redisPort: number;
  };

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadStackConfig(env: Record<string, string | undefined> = process.env): StackConfig {
  const cfg = loadConfig(env);
  return Object.freeze({
    ...cfg,
    ...parseSettings(stackVariables, env),
    temporalPort: Number(cfg.TEMPORAL_ADDRESS.split(':')[1]),
    kafkaPort: Number(cfg.KAFKA_BROKERS[0].split(':')[1]),
    redisPort: redisUrlNodes(cfg.REDIS_URL)[0].port,
  });
}

/** A tool's configuration; on a bad value prints the variable's name and exits. */
export const stackConfig = loadOnce(() => loadStackConfig());
