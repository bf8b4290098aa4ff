// `npx tsx scripts/bench/redis-cluster.ts`: what waiting for a replica costs a money write, and how
// long a failover keeps money writes away, on a Redis Cluster of its own (scripts/stack/redis-cluster.ts,
// base port 21400 + BENCH_PORT_OFFSET, in a temporary folder). Figures, not a pass/fail test:
// - reserve: closed-loop credit reservations (the real script) by `--callers` callers for `--duration`,
//   without WAIT and with WAIT 1, alternating phases in the same run; rate and latency, and the ratio.
// - failover: `--kills` times, SIGKILL the master of a user's slot while one caller reserves in a loop:
//   kill → slots served again (waitClusterOk), kill → the old master back as a replica (restarted
//   after `--down`), kill → first money write acknowledged again (it needs a replica: the old master).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/infra/config';
import { createRedis, type Redis } from '../../lib/infra/redis';
import { reserveOrderCredit } from '../../lib/store/credit';
import { setCredit } from '../../lib/store/operator-credit';
import { userKey } from '../../lib/store/keys';
import { runCommand, type CommandSpec } from '../cli';
import {
  killRedisNode,
  redisClusterSpec,
  redisClusterUrl,
  redisSlotMaster,
  startRedisCluster,
  startRedisNode,
  stopRedisCluster,
  waitClusterOk,
  type RedisClusterSpec,
} from '../stack/redis-cluster';
import { fmt, say, sleep, stats } from './bench-lib';

export const command = {
  usage: 'npx tsx scripts/bench/redis-cluster.ts',
  summary: 'money-write cost of WAIT and failover times on a Redis Cluster of its own (figures, not a test)',
  options: {
    duration: { kind: 'duration', description: 'each measured reserve phase', default: '10s' },
    callers: { kind: 'integer', description: 'closed-loop callers of the reserve phases', default: '16' },
    rounds: { kind: 'integer', description: 'reserve phases of each kind, alternated', default: '2' },
    kills: { kind: 'integer', description: 'master kills of the failover figure', default: '3' },
    down: {
      kind: 'duration',
      description: 'how long a killed master stays down before its restart',
      default: '5s',
    },
  },
} as const satisfies CommandSpec;

async function reservePhase(redis: Redis, callers: number, ms: number) {
  const users = Array.from({ length: callers }, () => `bench-${randomUUID()}`);
  await Promise.all(users.map((u) => setCredit(redis, u, 10 ** 12)));
  const latencies: number[] = [];
  const end = Date.now() + ms;
  const started = Date.now();
  await Promise.all(
    users.map(async (user) => {
      while (Date.now() < end) {
        const t = performance.now();
        await reserveOrderCredit(redis, {
          user,
          orderId: randomUUID(),
          amount: 1000,
          stockId: '778253364357513',
          quantity: 1,
          price: 1000,
        });
        latencies.push(performance.now() - t);
      }
    }),
  );
  return {
    perSecond: Math.round(latencies.length / ((Date.now() - started) / 1000)),
    latency: stats(latencies),
  };
}

async function failoverRound(spec: RedisClusterSpec, redis: Redis, downMs: number) {
  const user = `bench-${randomUUID()}`;
  await setCredit(redis, user, 10 ** 12);
  const slot = await redis.cluster('KEYSLOT', userKey(user));
  const master = (await redisSlotMaster(spec, slot))!;
  let acked = 0;
  let refused = 0;
  let firstAckAfterKill: number | undefined;
  let killedAt = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const began = Date.now();
      try {
        await reserveOrderCredit(redis, {
          user,
          orderId: randomUUID(),
          amount: 1,
          stockId: '778253364357513',
          quantity: 1,
          price: 1,
        });
        acked++;
        // Only a write sent after the kill says the slot takes money writes again.
        if (killedAt && began >= killedAt && firstAckAfterKill === undefined) {
          firstAckAfterKill = Date.now() - killedAt;
        }
      } catch {
        refused++;
        await sleep(50);
      }
    }
  })();
  await sleep(1_000);
  // From the moment the process is gone: a write sent while it was still exiting says nothing.
  await killRedisNode(spec, master, 'SIGKILL');
  killedAt = Date.now();
  const slotsBack = waitClusterOk(spec, 60_000).then(() => Date.now() - killedAt);
  await sleep(downMs);
  await startRedisNode(spec, master, () => undefined);
  const rejoinedMs = Date.now() - killedAt;
  const slotsBackMs = await slotsBack;
  while (firstAckAfterKill === undefined && Date.now() - killedAt < 60_000) await sleep(50);
  stop = true;
  await loop;
  return {
    master,
    slotsBackMs,
    oldMasterRejoinedMs: rejoinedMs,
    firstMoneyWriteAckMs: firstAckAfterKill,
    acked,
    refused,
  };
}

async function main(opts: {
  duration: number;
  callers: number;
  rounds: number;
  kills: number;
  down: number;
}): Promise<number> {
  const offset = Number(process.env.BENCH_PORT_OFFSET ?? 0);
  const dir = mkdtempSync(join(tmpdir(), 'bourse-bench-redis-cluster-'));
  const spec = redisClusterSpec(dir, 21_400 + offset);
  await startRedisCluster(spec, (m) => say(`cluster: ${m}`));
  const url = redisClusterUrl(spec);
  const noWait = createRedis(loadConfig({ REDIS_URL: url, REDIS_MONEY_REPLICAS: '0' }));
  const withWait = createRedis(loadConfig({ REDIS_URL: url }));
  try {
    const figures: Record<string, { perSecond: number; latency: ReturnType<typeof stats> }[]> = {
      noWait: [],
      wait: [],
    };
    for (let r = 0; r < opts.rounds; r++) {
      for (const [name, client] of [
        ['noWait', noWait],
        ['wait', withWait],
      ] as const) {
        const f = await reservePhase(client, opts.callers, opts.duration);
        figures[name].push(f);
        say(
          `reserve ${name === 'wait' ? 'with WAIT 1   ' : 'without WAIT  '}: ${f.perSecond}/s, ${fmt(f.latency)}`,
        );
      }
    }
    const mean = (xs: { perSecond: number }[]) => xs.reduce((n, x) => n + x.perSecond, 0) / xs.length;
    say(`reserve: with WAIT ÷ without = ${(mean(figures.wait) / mean(figures.noWait)).toFixed(2)} (rate)`);
    for (let k = 0; k < opts.kills; k++) {
      const f = await failoverRound(spec, withWait, opts.down);
      say(
        `failover ${k + 1}: master ${f.master} SIGKILLed; slots served again after ${f.slotsBackMs} ms, ` +
          `old master back as replica after ${f.oldMasterRejoinedMs} ms, first money write acknowledged after ` +
          `${f.firstMoneyWriteAckMs} ms (${f.acked} acknowledged, ${f.refused} refused or failed meanwhile)`,
      );
    }
  } finally {
    noWait.disconnect();
    withWait.disconnect();
    await stopRedisCluster(spec, () => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

if (require.main === module) runCommand(command, ({ values }) => main(values));
