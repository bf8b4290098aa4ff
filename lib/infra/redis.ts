// The one way bourse opens a Redis connection: one server, or Redis Cluster through ioredis's cluster
// client when REDIS_URL names several nodes (or REDIS_CLUSTER=on). Every store module takes either.
import IORedis, { Cluster } from 'ioredis';
import { redisUrlNodes, type Config } from './config';

/** A Redis client the store accepts: one server's, or a cluster's. */
export type Redis = IORedis | Cluster;
export { Cluster };

export interface RedisOptions {
  /** Fail commands at once while disconnected instead of queueing them (health checks, API). */
  failFast?: boolean;
}

/**
 * How many replicas must acknowledge a money write (credit reservation, settlement, release, credit
 * set and adjust) before it counts as done, and how long to wait for them (lib/store/money-write.ts).
 */
export interface MoneyWritePolicy {
  replicas: number;
  timeoutMs: number;
}

type RedisConfig = Pick<Config, 'REDIS_URL'> &
  Partial<Pick<Config, 'REDIS_CLUSTER' | 'REDIS_MONEY_REPLICAS' | 'REDIS_MONEY_WAIT_TIMEOUT'>>;

const policies = new WeakMap<Redis, MoneyWritePolicy>();

export const isCluster = (redis: Redis): redis is Cluster => redis instanceof Cluster;

/** The money-write policy of a client (set by createRedis; a client made elsewhere: 1 replica on a cluster). */
export function moneyWritePolicy(redis: Redis): MoneyWritePolicy {
  return policies.get(redis) ?? { replicas: isCluster(redis) ? 1 : 0, timeoutMs: 1_000 };
}

export function createRedis(cfg: RedisConfig, opts: RedisOptions = {}): Redis {
  const nodes = redisUrlNodes(cfg.REDIS_URL);
  const cluster = cfg.REDIS_CLUSTER === 'on' || (cfg.REDIS_CLUSTER !== 'off' && nodes.length > 1);
  const connection = {
    connectTimeout: 2_000,
    maxRetriesPerRequest: opts.failFast ? 1 : 20,
    enableOfflineQueue: !opts.failFast,
  };
  let redis: Redis;
  if (cluster) {
    const url = new URL(cfg.REDIS_URL.replace(/^(rediss?:\/\/(?:[^@/]*@)?)[^/?#]+/, '$1host'));
    redis = new Cluster(nodes, {
      lazyConnect: false,
      enableOfflineQueue: !opts.failFast,
      // A failover takes a few seconds (node timeout, then the replica's election): commands to the
      // failed master's slots are retried every 300 ms, 40 times (12 s), with the slot map refreshed.
      retryDelayOnFailover: 300,
      retryDelayOnClusterDown: 300,
      retryDelayOnTryAgain: 300,
      maxRedirections: 40,
      slotsRefreshTimeout: 2_000,
      slotsRefreshInterval: 2_000,
      clusterRetryStrategy: (times) => Math.min(times * 100, 2_000),
      redisOptions: {
        ...connection,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
        ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    });
  } else {
    redis = new IORedis(cfg.REDIS_URL, {
      lazyConnect: false,
      ...connection,
      retryStrategy: (times) => Math.min(times * 100, 2_000),
    });
  }
  const replicas = cfg.REDIS_MONEY_REPLICAS ?? 'auto';
  policies.set(redis, {
    replicas: replicas === 'auto' ? (cluster ? 1 : 0) : replicas,
    timeoutMs: cfg.REDIS_MONEY_WAIT_TIMEOUT ?? 1_000,
  });
  return redis;
}

const replicaReaders = new WeakMap<Cluster, Cluster>();

/**
 * A cluster client like `redis` whose reads go to the slot's replica (READONLY), opened on first use
 * and closed with `redis`. For reads that may be a few milliseconds behind the master; never for money.
 */
export function replicaReader(redis: Cluster): Cluster {
  let reader = replicaReaders.get(redis);
  if (!reader) {
    reader = redis.duplicate(undefined, { scaleReads: 'slave' });
    replicaReaders.set(redis, reader);
    const opened = reader;
    redis.once('end', () => opened.disconnect());
  }
  return reader;
}

/** A second connection (or cluster client) like `redis`, queueing commands until it is connected. */
export function duplicateRedis(redis: Redis): Redis {
  const copy = isCluster(redis)
    ? redis.duplicate(undefined, { enableOfflineQueue: true })
    : redis.duplicate({ enableOfflineQueue: true });
  policies.set(copy, moneyWritePolicy(redis));
  return copy;
}
