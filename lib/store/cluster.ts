// What a Redis Cluster changes for the store besides single-slot scripts: a pipeline must stay on one
// node, and SCAN sees one node's keys. One server takes the same calls unchanged.
import type { ChainableCommander } from 'ioredis';
import { isCluster, moneyWritePolicy, replicaReader, type Redis } from '../infra/redis';
import { assertReplicaAck } from './money-write';

/** A key's hash tag as Redis Cluster hashes it: the text between the first { and the next }, if any. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

export type PipelineResult = [Error | null, unknown];

/**
 * Replies that say where or when to ask, never that the command is wrong: a slot that moved or is
 * being migrated, a cluster without a master for a slot, a node loading its data or just demoted.
 * In a pipeline they come back per command; they are the cluster's failover, not a verdict on data.
 */
const TRANSIENT_REPLY = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|NOREPLICAS)\b/;

export const isTransientRedisError = (err: unknown): boolean =>
  err instanceof Error && TRANSIENT_REPLY.test(err.message);

/**
 * Queues `count` commands, each touching keys of one hash tag (`tagOf(i)` names a key of command i),
 * and runs them: on one server in one pipeline; on a cluster in one pipeline per hash tag (each on
 * its slot's master), all at once. Resolves to each command's [error, reply] in order; a connection
 * failure rejects (as one pipeline would), and so does a failover's reply to any command (MOVED,
 * CLUSTERDOWN, ...: isTransientRedisError).
 *
 * `durable`: each pipeline ends with the client's WAIT (the money-write policy, money-write.ts), and
 * fewer acknowledgements than it asks reject with a ReplicaAckError, as a connection failure would,
 * so a consumer redelivers from its last commit rather than commit writes a failover could lose.
 */
export async function pipelineBySlot(
  redis: Redis,
  count: number,
  tagOf: (i: number) => string,
  add: (p: ChainableCommander, i: number) => void,
  { durable = false }: { durable?: boolean } = {},
): Promise<PipelineResult[]> {
  const { replicas, timeoutMs } = durable ? moneyWritePolicy(redis) : { replicas: 0, timeoutMs: 0 };
  const groups = new Map<string, number[]>();
  if (isCluster(redis)) {
    for (let i = 0; i < count; i++) {
      const tag = hashTag(tagOf(i));
      const g = groups.get(tag);
      if (g) g.push(i);
      else groups.set(tag, [i]);
    }
  } else {
    groups.set(
      '',
      Array.from({ length: count }, (_, i) => i),
    );
  }
  const out = new Array<PipelineResult>(count);
  await Promise.all(
    [...groups.values()].map(async (members) => {
      const p = redis.pipeline();
      for (const i of members) add(p, i);
      if (replicas > 0) p.wait(replicas, timeoutMs);
      const results = await p.exec();
      if (!results) throw new Error('Redis pipeline was discarded');
      // A failover's reply rejects the whole call, as a lost connection does: a consumer then
      // redelivers from its last commit instead of dead-lettering good messages, a reader gets a 503.
      const transient = results.find(([err]) => isTransientRedisError(err));
      if (transient) {
        if (isCluster(redis)) redis.refreshSlotsCache();
        throw transient[0]!;
      }
      if (replicas > 0) {
        assertReplicaAck(tagOf(members[0]), results[results.length - 1], replicas, timeoutMs);
      }
      members.forEach((i, j) => (out[i] = results[j] ?? [null, null]));
    }),
  );
  return out;
}

/** Every key matching `pattern`: SCAN on the one server, or on every master of a cluster. */
export async function scanKeys(redis: Redis, pattern: string, count = 500): Promise<string[]> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  const found = await Promise.all(
    nodes.map(async (node) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      return keys;
    }),
  );
  return [...new Set(found.flat())].sort();
}

/** How long a read waits for its slot's master before it asks the replica too. */
export const REPLICA_READ_AFTER_MS = 250;

/**
 * A read that a master's failover does not hold up: on a cluster, asked of the slot's master and, if
 * the master has not answered within `afterMs` (or failed), of its replica; the first answer wins. For
 * reads where a few milliseconds of replication lag are harmless (a stock's latest price, whether it is
 * known): a failed master's slots are served again only after its replica's election (about 5 s here,
 * docs/reliability.md), and until then every order would wait on one stock's price. One server: just
 * the read.
 */
export async function readSurvivingFailover<T>(
  redis: Redis,
  read: (r: Redis) => Promise<T>,
  afterMs = REPLICA_READ_AFTER_MS,
): Promise<T> {
  if (!isCluster(redis)) return read(redis);
  const primary = read(redis);
  let timer: NodeJS.Timeout | undefined;
  const fallback = new Promise<T>((resolve, reject) => {
    let asked = false;
    const ask = () => {
      if (asked) return;
      asked = true;
      clearTimeout(timer);
      read(replicaReader(redis)).then(resolve, reject);
    };
    timer = setTimeout(ask, afterMs);
    primary.catch(ask);
  });
  try {
    return await Promise.any([primary, fallback]);
  } catch (err) {
    throw err instanceof AggregateError ? err.errors[0] : err;
  } finally {
    clearTimeout(timer);
  }
}
