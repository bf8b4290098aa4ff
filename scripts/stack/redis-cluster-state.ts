// Asking a local Redis Cluster's nodes how it is: redis-cli on one node, CLUSTER NODES, each node's
// role, which master serves a slot, and the waits for a healthy cluster and a resynced replica.
// The nodes themselves are started and stopped by redis-cluster.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '../wait';
import type { RedisClusterSpec } from './redis-cluster';

const exec = promisify(execFile);

/** Every slot a cluster has. */
export const CLUSTER_SLOTS = 16_384;

/** Runs redis-cli and answers its output; throws with the output when it fails. */
export async function cli(args: string[], timeoutMs = 5_000): Promise<string> {
  const { stdout } = await exec('redis-cli', args, { encoding: 'utf8', timeout: timeoutMs });
  return stdout;
}

/** One command on one node; undefined when the node does not answer. */
export async function ask(port: number, ...cmd: string[]): Promise<string | undefined> {
  try {
    const out = await cli(['-h', '127.0.0.1', '-p', String(port), ...cmd], 5_000);
    // redis-cli exits 0 on an error reply; such a node does not answer the question.
    return out.startsWith('ERR') || out.startsWith('LOADING') ? undefined : out;
  } catch {
    return undefined;
  }
}

export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

export interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string | undefined;
  ranges: Array<[number, number]>;
  slots: number;
}

/** CLUSTER NODES as one node sees it. */
export async function clusterNodes(port: number): Promise<NodeLine[] | undefined> {
  const out = await ask(port, 'CLUSTER', 'NODES');
  if (!out) return undefined;
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, addr, flags, master, , , , , ...slots] = line.split(' ');
      // Slots in migration ([slot->-id]) are not counted: this cluster never migrates any.
      const ranges = slots
        .filter((r) => !r.startsWith('['))
        .map((r): [number, number] => {
          const [a, b] = r.split('-').map(Number);
          return [a, b ?? a];
        });
      return {
        id: id,
        port: Number(/:(\d+)@/.exec(addr ?? '')?.[1]),
        flags: (flags ?? '').split(','),
        masterId: master === '-' ? undefined : master,
        ranges,
        slots: ranges.reduce((n, [a, b]) => n + b - a + 1, 0),
      };
    });
}

/**
 * A node back after a kill rejoins as a replica (its slots went to its replica meanwhile): it counts as
 * back only once its link to its master is up and its resync is over. Until then the master's data is
 * on one node, and losing that master would lose writes a replica had acknowledged (docs/reliability.md).
 */
export async function waitReplicaInSync(port: number, timeoutMs: number): Promise<void> {
  await waitFor(
    `Redis Cluster node ${port} to finish its resync`,
    async () => {
      const info = (await ask(port, 'INFO', 'replication')) ?? '';
      if (infoField(info, 'role') === 'master') return true;
      return (
        infoField(info, 'master_link_status') === 'up' && infoField(info, 'master_sync_in_progress') === '0'
      );
    },
    timeoutMs,
    200,
  );
}

export interface RedisNodeRole {
  port: number;
  role: 'master' | 'replica';
  masterPort?: number;
  /** Whether the node answered; a node that did not is described as the cluster last saw it. */
  up: boolean;
}

/**
 * Each node's role: as the node itself says (ROLE), or, for a node that does not answer, as the
 * cluster last saw it.
 */
export async function redisClusterRoles(spec: RedisClusterSpec): Promise<RedisNodeRole[]> {
  const own = await Promise.all(spec.ports.map((p) => ask(p, 'ROLE')));
  const witness = spec.ports.find((_, i) => own[i] !== undefined);
  const view = witness === undefined ? [] : ((await clusterNodes(witness)) ?? []);
  return spec.ports.map((port, i) => {
    const lines = own[i]?.trim().split('\n');
    if (lines?.[0] === 'master') return { port, role: 'master', up: true };
    if (lines?.[0] === 'slave') return { port, role: 'replica', masterPort: Number(lines[2]), up: true };
    const seen = view.find((n) => n.port === port);
    if (!seen || seen.flags.includes('master')) return { port, role: 'master', up: false };
    return { port, role: 'replica', masterPort: view.find((n) => n.id === seen.masterId)?.port, up: false };
  });
}

/** The port of the master that serves `slot` now, as the first answering node sees it. */
export async function redisSlotMaster(spec: RedisClusterSpec, slot: number): Promise<number | undefined> {
  for (const port of spec.ports) {
    const view = await clusterNodes(port);
    if (!view) continue;
    return view.find((n) => n.flags.includes('master') && n.ranges.some(([a, b]) => a <= slot && slot <= b))
      ?.port;
  }
  return undefined;
}

/**
 * Waits until every answering node reports cluster_state:ok with all slots ok, and every master that
 * owns slots answers (so a master just killed, before its replica took over, is not "ok").
 */
export async function waitClusterOk(spec: RedisClusterSpec, timeoutMs: number): Promise<void> {
  await waitFor(
    'Redis Cluster state ok with every slot covered',
    async () => {
      const infos = await Promise.all(spec.ports.map((p) => ask(p, 'CLUSTER', 'INFO')));
      const answering = spec.ports.filter((_, i) => infos[i] !== undefined);
      if (answering.length === 0) throw new Error('no node answers');
      for (const info of infos) {
        if (info === undefined) continue;
        if (infoField(info, 'cluster_state') !== 'ok') return false;
        if (Number(infoField(info, 'cluster_slots_ok')) !== CLUSTER_SLOTS) return false;
      }
      for (const port of answering) {
        const view = await clusterNodes(port);
        if (!view) return false;
        // Every node knows every answering node (a cluster just made still shakes hands for a moment).
        const known = view.filter((n) => !n.flags.some((f) => f === 'handshake' || f === 'noaddr'));
        if (answering.some((p) => !known.some((n) => n.port === p))) return false;
        const owners = view.filter((n) => n.slots > 0);
        if (owners.reduce((n, o) => n + o.slots, 0) !== CLUSTER_SLOTS) return false;
        if (owners.some((o) => !answering.includes(o.port) || o.flags.some((f) => f.startsWith('fail')))) {
          return false;
        }
      }
      return true;
    },
    timeoutMs,
    200,
  );
}
