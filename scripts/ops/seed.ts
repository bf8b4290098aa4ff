// `npm run seed`: the demo data of docs/design.md — users user1 and user2 with their credit, and the demo
// stocks' names and watch-list entries — and demo API keys for user1, user2 and an operator. Safe to
// run again: it keeps credit that orders have moved, unless given --reset, and prints the same keys
// again, unless given --rotate-keys.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { issueApiKey, principalOfKey, revokeApiKeys, type Principal } from '../../lib/store/api-keys';
import { stackConfig } from '../stack/stack-config';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { holdingsKey, stockInfoKey, userKey, WATCHLIST_KEY } from '../../lib/store/keys';
import { createRedis, type Redis } from '../../lib/infra/redis';

/** Who gets a demo key. */
export const DEMO_PRINCIPALS: readonly Principal[] = [
  { id: 'user1', role: 'user' },
  { id: 'user2', role: 'user' },
  { id: 'operator', role: 'operator' },
];

export type DemoKeys = Record<string, string>;

/**
 * Demo keys: Redis keeps only their hashes, so the plain keys of the demo principals are kept in a
 * git-ignored file of the stack's folder (mode 0600) to print them again. Reissued (old ones revoked)
 * when asked to rotate, when the file is missing, or when Redis no longer knows a key in it.
 */
export async function seedDemoKeys(
  redis: Redis,
  file: string,
  { rotate = false } = {},
): Promise<{ keys: DemoKeys; issued: boolean }> {
  if (!rotate && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoKeys;
    let valid = true;
    for (const p of DEMO_PRINCIPALS) {
      const key = saved[p.id];
      const owner = key ? await principalOfKey(redis, key) : undefined;
      if (owner?.id !== p.id || owner.role !== p.role) valid = false;
    }
    if (valid) return { keys: saved, issued: false };
  }
  const keys: DemoKeys = {};
  for (const p of DEMO_PRINCIPALS) {
    await revokeApiKeys(redis, p);
    keys[p.id] = await issueApiKey(redis, p);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { keys, issued: true };
}

/** Credit in rials, as in the original challenge. */
export const DEMO_USERS: Record<string, number> = { user1: 150_000_000, user2: 6_000_000_000 };

/** TSE instrument codes (strings: they exceed 2^53) and names; the last one's name is not known. */
export const DEMO_STOCKS: Record<string, string | undefined> = {
  '778253364357513': 'بانک ملت',
  '44891482026867833': 'سایپا',
  '46348559193224090': 'فولاد مبارکه',
  '35425587644337450': undefined,
};

export async function seedDemoData(redis: Redis, { reset = false } = {}): Promise<string[]> {
  const done: string[] = [];
  for (const [user, credit] of Object.entries(DEMO_USERS)) {
    if (reset) {
      await redis
        .multi()
        .hset(userKey(user), { credit: String(credit), reserved: '0' })
        .del(holdingsKey(user))
        .exec();
      done.push(`${user}: credit ${credit} (reset, holdings cleared)`);
    } else {
      const [created] = (await redis
        .multi()
        .hsetnx(userKey(user), 'credit', String(credit))
        .hsetnx(userKey(user), 'reserved', '0')
        .exec()) as [[Error | null, number]];
      done.push(`${user}: ${created[1] ? `credit ${credit}` : 'exists, left as it is (--reset overwrites)'}`);
    }
  }
  for (const [stockId, name] of Object.entries(DEMO_STOCKS)) {
    if (name) await redis.hset(stockInfoKey(stockId), { name });
    await redis.sadd(WATCHLIST_KEY, stockId);
    done.push(`stock ${stockId}${name ? ` ${name}` : ''}`);
  }
  return done;
}

export const command = {
  usage: 'npm run seed --',
  summary: 'the demo users, stocks and API keys (safe to run again; prints the keys)',
  options: {
    reset: { kind: 'boolean', description: "put the demo users' credit back to its start" },
    'rotate-keys': { kind: 'boolean', description: 'revoke the demo keys and issue new ones' },
  },
} as const satisfies CommandSpec;

async function main({ values }: Parsed<typeof command.options>): Promise<void> {
  const cfg = stackConfig();
  const redis = createRedis(cfg);
  const keysFile = join(resolve(__dirname, '..', '..', cfg.STACK_DIR), 'demo-keys.json');
  try {
    for (const line of await seedDemoData(redis, { reset: values.reset }))
      process.stdout.write(`[seed] ${line}\n`);
    const { keys, issued } = await seedDemoKeys(redis, keysFile, { rotate: values['rotate-keys'] });
    process.stdout.write(
      `[seed] API keys (${issued ? 'new' : 'existing'}; kept in ${keysFile}; --rotate-keys issues new ones):\n`,
    );
    for (const [who, key] of Object.entries(keys)) process.stdout.write(`  ${who.padEnd(9)} ${key}\n`);
  } finally {
    redis.disconnect();
  }
}

if (require.main === module) runCommand(command, main);
