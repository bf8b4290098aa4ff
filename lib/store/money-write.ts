// A money write counts as done only once enough replicas hold it. Redis replicates asynchronously: a
// master killed right after answering a script can lose it in the failover that follows. So on a
// cluster (REDIS_MONEY_REPLICAS, `auto`: 1 there, 0 on one server) every money script is sent in one
// pipeline with WAIT: both go to the master of the script's slot on the same connection, and WAIT
// answers how many replicas acknowledged every write that connection made so far, ours included.
// Lua cannot call WAIT itself. Fewer replicas than asked within REDIS_MONEY_WAIT_TIMEOUT: the write is
// not reported as done but thrown as a ReplicaAckError, which callers retry; every money script is
// idempotent (by order id, by Idempotency-Key, or a set of an absolute value), so a retry is safe.
import { moneyWritePolicy, type Redis } from '../infra/redis';

/** A durable write (money, a stored minute, an order's view) the master applied but too few replicas acknowledged in time: retry it. */
export class ReplicaAckError extends Error {
  constructor(
    readonly key: string,
    readonly acked: number,
    readonly wanted: number,
    readonly timeoutMs: number,
  ) {
    super(
      `write on ${key} acknowledged by ${acked} of ${wanted} replica(s) within ${timeoutMs} ms; ` +
        'not reported as done: retry it (every such write is idempotent)',
    );
    this.name = 'ReplicaAckError';
  }
}

/**
 * Runs one money script (EVAL; all its keys under one hash tag) and, when the client's policy asks
 * for replicas, waits for them. Every money script ends with a write even when it changes nothing
 * (a replayed reservation rewrites its state), so WAIT also covers the state a replay reports.
 */
export async function moneyWrite<T>(
  redis: Redis,
  script: string,
  keys: string[],
  args: string[],
): Promise<T> {
  const { replicas, timeoutMs } = moneyWritePolicy(redis);
  if (replicas === 0) return (await redis.eval(script, keys.length, ...keys, ...args)) as T;
  const results = await redis
    .pipeline()
    .eval(script, keys.length, ...keys, ...args)
    .wait(replicas, timeoutMs)
    .exec();
  if (!results) throw new Error('Redis pipeline was discarded');
  const [[scriptErr, reply], [waitErr, acked]] = results as [
    [Error | null, unknown],
    [Error | null, unknown],
  ];
  if (scriptErr) throw scriptErr;
  assertReplicaAck(keys[0], [waitErr, acked], replicas, timeoutMs);
  return reply as T;
}

/** WAIT's reply in a pipeline: throws its error, or a ReplicaAckError when fewer replicas acknowledged. */
export function assertReplicaAck(
  key: string,
  [waitErr, acked]: [Error | null, unknown],
  replicas: number,
  timeoutMs: number,
): void {
  if (waitErr) throw waitErr;
  if (typeof acked !== 'number' || acked < replicas) {
    throw new ReplicaAckError(key, Number(acked ?? 0), replicas, timeoutMs);
  }
}
