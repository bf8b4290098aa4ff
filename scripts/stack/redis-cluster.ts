// A local Redis Cluster of Debian's redis-server: three masters with one replica each, append-only
// persistence, a short node timeout so a failover takes seconds. Each node keeps its data, pid and log
// under the cluster's folder, so a restart keeps the cluster (nodes.conf) and the data (AOF).
// Used by the HA stack, the chaos run and test/integration/platform/redis-cluster.test.ts.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, waitFor } from '../wait';
import { ask, cli, infoField, waitClusterOk, waitReplicaInSync } from './redis-cluster-state';

export {
  CLUSTER_SLOTS,
  redisClusterRoles,
  redisSlotMaster,
  waitClusterOk,
  type RedisNodeRole,
} from './redis-cluster-state';

export interface RedisClusterSpec {
  /** Folder for the nodes' data (redis-cluster/<port>), pid files (run/) and logs (logs/). */
  dir: string;
  /** Six ports: the three first-created masters, then the three replicas. */
  ports: number[];
}

/** A node fails over when its master has been unreachable this long (Redis's default is 15 s). */
export const CLUSTER_NODE_TIMEOUT_MS = 2_000;

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
    const member = spec.ports[joined.indexOf(true)];
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
