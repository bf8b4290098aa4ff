// `npm run seed`: the demo data of DESIGN.md — users user1 and user2 with their credit, and the demo
// stocks' names and watch-list entries. Safe to run again: it keeps credit that orders have moved,
// unless given --reset.
import { config } from '../lib/config';
import { holdingsKey, stockInfoKey, userKey, WATCHLIST_KEY } from '../lib/keys';
import { createRedis, type Redis } from '../lib/redis';

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

if (require.main === module) {
  const redis = createRedis(config());
  seedDemoData(redis, { reset: process.argv.includes('--reset') })
    .then((lines) => {
      for (const line of lines) process.stdout.write(`[seed] ${line}\n`);
      redis.disconnect();
    })
    .catch((err: unknown) => {
      process.stderr.write(`[seed] failed: ${(err as Error).message}\n`);
      process.exit(1);
    });
}
