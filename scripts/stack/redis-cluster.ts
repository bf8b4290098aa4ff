// A local Redis Cluster of Debian's redis-server: three masters with one replica each, append-only
// persistence, a short node timeout so a failover takes seconds. Each node keeps its data, pid and log
// under the cluster's folder, so a restart keeps the cluster (nodes.conf) and the data (AOF).
// Used by the HA stack, the chaos run and test/integration/platform/redis-cluster.test.ts.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep, waitFor } from '../../test/support/wait';

const exec = promisify(execFile);

export interface RedisClusterSpec {
  /** Folder for the nodes' data (redis-cluster/<port>), pid files (run/) and logs (logs/). */
  dir: string;
  /** Six ports: the three first-created masters, then the three replicas. */
  ports: number[];
}

/** A node fails over when its master has been unreachable this long (Redis's default is 15 s). */
export const CLUSTER_NODE_TIMEOUT_MS = 2_000;
/** Every slot a cluster has. */
export const CLUSTER_SLOTS = 16_384;

export function redisClusterSpec(dir: string, basePort: number): RedisClusterSpec {
  return { dir, ports: Array.from({ length: 6 }, (_, i) => basePort + i) };
}

/** The REDIS_URL naming every node (lib/infra/redis.ts opens the cluster client for it). */
export function redisClusterUrl(spec: RedisClusterSpec): string {
  return `redis://${spec.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
}

const dataDir = (spec: RedisClusterSpec, port: number) => join(spec.dir, 'redis-cluster', String(port));
export const redisNodePidFile = (spec: RedisClusterSpec, port: number) =>
  join(spec.dir, 'run', `redis-${port}.pid`);
export const redisNodeLogFile = (spec: RedisClusterSpec, port: number) =>
  join(spec.dir, 'logs', `redis-${port}.log`);

/** The command line of one cluster node. */
export function redisClusterNodeArgs(spec: RedisClusterSpec, port: number): string[] {
  const data = dataDir(spec, port);
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    data,
    '--daemonize',
    'no',
    // Append-only file fsynced every second, as the single-node stack: SIGKILL of the process loses
    // nothing that reached the kernel; a crash of the machine loses up to ~1 s on that node.
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(CLUSTER_NODE_TIMEOUT_MS),
    '--cluster-announce-ip',
    '127.0.0.1',
    // The masters that are up keep serving their slots while another master fails over.
    '--cluster-require-full-coverage',
    'no',
    // A replica always stands for election, however long its link was down: money writes wait for a
    // replica's acknowledgement (lib/store/money-write.ts), so a replica that missed writes while
    // disconnected missed none that was acknowledged (docs/reliability.md, Redis Cluster).
    '--cluster-replica-validity-factor',
    '0',
    // A restarted replica resyncs at once instead of after Redis's default 5 s of waiting for others.
    '--repl-diskless-sync-delay',
    '0',
  ];
}

/** Runs redis-cli and answers its output; throws with the output when it fails. */
async function cli(args: string[], timeoutMs = 5_000): Promise<string> {
  const { stdout } = await exec('redis-cli', args, { encoding: 'utf8', timeout: timeoutMs });
  return stdout;
}

/** One command on one node; undefined when the node does not answer. */
async function ask(port: number, ...cmd: string[]): Promise<string | undefined> {
  try {
    const out = await cli(['-h', '127.0.0.1', '-p', String(port), ...cmd], 5_000);
    // redis-cli exits 0 on an error reply; such a node does not answer the question.
    return out.startsWith('ERR') || out.startsWith('LOADING') ? undefined : out;
  } catch {
    return undefined;
  }
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

export function readNodePid(spec: RedisClusterSpec, port: number): number | undefined {
  try {
    const pid = Number(readFileSync(redisNodePidFile(spec, port), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function launch(spec: RedisClusterSpec, port: number): void {
  mkdirSync(dataDir(spec, port), { recursive: true });
  mkdirSync(join(spec.dir, 'run'), { recursive: true });
  mkdirSync(join(spec.dir, 'logs'), { recursive: true });
  const out = openSync(redisNodeLogFile(spec, port), 'a');
  const child = spawn('redis-server', redisClusterNodeArgs(spec, port), {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: dataDir(spec, port),
  });
  writeFileSync(redisNodePidFile(spec, port), String(child.pid));
  child.unref();
}

/** Launches one node if it is not running and waits until it answers (its AOF loaded). */
async function launchNode(spec: RedisClusterSpec, port: number, log: (m: string) => void): Promise<boolean> {
  if (readNodePid(spec, port)) return false;
  // Never mistake someone else's server (another checkout's stack, a system Redis) for ours.
  if (await ask(port, 'PING').then(Boolean)) {
    throw new Error(
      `port ${port} for Redis Cluster node is already taken by a process this stack did not start (${spec.dir}); ` +
        'stop it or choose other ports',
    );
  }
  log(`starting Redis Cluster node ${port}`);
  launch(spec, port);
  await waitFor(
    `Redis Cluster node ${port}`,
    async () => (await ask(port, 'PING'))?.trim() === 'PONG',
    20_000,
  ).catch(() => {
    throw new Error(
      `Redis Cluster node ${port} did not start within 20 s; see ${redisNodeLogFile(spec, port)}`,
    );
  });
  if (!readNodePid(spec, port)) {
    throw new Error(`Redis Cluster node ${port} exited during start-up; see ${redisNodeLogFile(spec, port)}`);
  }
  return true;
}

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string | undefined;
  ranges: Array<[number, number]>;
  slots: number;
}

/** CLUSTER NODES as one node sees it. */
async function clusterNodes(port: number): Promise<NodeLine[] | undefined> {
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
          return [a!, b ?? a!];
        });
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(addr ?? '')?.[1]),
        flags: (flags ?? '').split(','),
        masterId: master === '-' ? undefined : master,
        ranges,
        slots: ranges.reduce((n, [a, b]) => n + b - a + 1, 0),
      };
    });
}

/**
 * Whether a node's data says it is a member of a cluster: its nodes.conf lists other nodes. Read from
 * the file, not asked of the node, so a slow or loading node is never taken for a wiped one.
 */
function joinedOnDisk(spec: RedisClusterSpec, port: number): boolean {
  try {
    const lines = readFileSync(join(dataDir(spec, port), 'nodes.conf'), 'utf8').split('\n');
    return lines.filter((l) => /^[0-9a-f]{40} /.test(l)).length > 1;
  } catch {
    return false;
  }
}

/**
 * Launches the nodes that are not running, creates the cluster on its first start, brings a node with
 * wiped data back in as a replica, and waits for cluster_state:ok with every slot covered.
 */
export async function startRedisCluster(spec: RedisClusterSpec, log: (m: string) => void): Promise<void> {
  const started = Date.now();
  const joined = spec.ports.map((p) => joinedOnDisk(spec, p));
  await Promise.all(spec.ports.map((p) => launchNode(spec, p, log)));
  if (!joined.some(Boolean)) {
    log(`creating Redis Cluster on ports ${spec.ports.join(', ')}`);
    await cli(
      [
        '--cluster',
        'create',
        ...spec.ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      60_000,
    );
  } else {
    const member = spec.ports[joined.indexOf(true)]!;
    for (const [i, port] of spec.ports.entries()) {
      if (joined[i]) continue;
      // Its data folder was wiped: it joins as a replica of the master with the fewest replicas.
      log(`adding Redis Cluster node ${port} as a replica`);
      await cli(
        ['--cluster', 'add-node', `127.0.0.1:${port}`, `127.0.0.1:${member}`, '--cluster-slave'],
        60_000,
      );
    }
  }
  await waitClusterOk(spec, 60_000);
  log(`Redis Cluster healthy (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Stops every node: SIGTERM (each writes its AOF and nodes.conf), then SIGKILL if it has not exited. */
export async function stopRedisCluster(spec: RedisClusterSpec, log: (m: string) => void): Promise<void> {
  await Promise.all(
    spec.ports.map(async (port) => {
      const pid = readNodePid(spec, port);
      if (!pid) return;
      log(`stopping Redis Cluster node ${port} (pid ${pid})`);
      await killRedisNode(spec, port, 'SIGTERM');
    }),
  );
}

/** Starts one node again (after killRedisNode) and waits until it has rejoined with the cluster healthy. */
export async function startRedisNode(
  spec: RedisClusterSpec,
  port: number,
  log: (m: string) => void,
): Promise<void> {
  const pid = readNodePid(spec, port);
  // A node paused with SIGSTOP is running: let it go on.
  if (pid) process.kill(pid, 'SIGCONT');
  const joined = joinedOnDisk(spec, port);
  await launchNode(spec, port, log);
  if (!joined) {
    const member = spec.ports.find((p) => p !== port && readNodePid(spec, p));
    if (member === undefined) throw new Error(`no other Redis Cluster node runs for ${port} to join`);
    log(`adding Redis Cluster node ${port} as a replica`);
    await cli(
      ['--cluster', 'add-node', `127.0.0.1:${port}`, `127.0.0.1:${member}`, '--cluster-slave'],
      60_000,
    );
  }
  await waitFor(
    `Redis Cluster node ${port} to rejoin`,
    async () => infoField((await ask(port, 'CLUSTER', 'INFO')) ?? '', 'cluster_state') === 'ok',
    60_000,
  );
  await waitClusterOk(spec, 60_000);
  await waitReplicaInSync(port, 120_000);
}

/**
 * A node back after a kill rejoins as a replica (its slots went to its replica meanwhile): it counts as
 * back only once its link to its master is up and its resync is over. Until then the master's data is
 * on one node, and losing that master would lose writes a replica had acknowledged (docs/reliability.md).
 */
async function waitReplicaInSync(port: number, timeoutMs: number): Promise<void> {
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

/**
 * Sends `signal` (SIGKILL unless told) to one node. SIGSTOP and SIGCONT pause and resume it; any other
 * signal waits for the process to exit (SIGKILL after 30 s) and removes its pid file.
 */
export async function killRedisNode(
  spec: RedisClusterSpec,
  port: number,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  const pid = readNodePid(spec, port);
  if (!pid) return;
  if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
    process.kill(pid, signal);
    return;
  }
  // A paused node cannot handle SIGTERM: resume it first.
  process.kill(pid, 'SIGCONT');
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
  rmSync(redisNodePidFile(spec, port), { force: true });
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
