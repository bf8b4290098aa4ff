// The one way bourse opens a Redis connection.
import Redis from 'ioredis';
import type { Config } from './config';

export type { Redis };

export interface RedisOptions {
  /** Fail commands at once while disconnected instead of queueing them (health checks, API). */
  failFast?: boolean;
}

export function createRedis(cfg: Pick<Config, 'REDIS_URL'>, opts: RedisOptions = {}): Redis {
  return new Redis(cfg.REDIS_URL, {
    lazyConnect: false,
    maxRetriesPerRequest: opts.failFast ? 1 : 20,
    enableOfflineQueue: !opts.failFast,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
}
