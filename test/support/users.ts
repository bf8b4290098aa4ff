// Test users: unique ids whose prefix tells the scripted verifier how to answer, each with one API key
// per test process (remembered, so a test asks for the Authorization header by user).
import { randomUUID } from 'node:crypto';
import type { Redis } from '../../lib/infra/redis';
import { issueApiKey } from '../../lib/store/api-keys';
import { userKey } from '../../lib/store/keys';

/** A unique user id with a behaviour prefix the scripted verifier understands. */
export const newUser = (
  prefix: 'ok' | 'no' | 'slow' | 'stall' | 'race' | 'val' | 'idem' | 'conc' | 'out' | 'rule',
) => `${prefix}-${randomUUID().slice(0, 8)}`;

const apiKeys = new Map<string, string>();

/** A user with this credit, and an API key for it (remembered: see authOf). Returns the key. */
export async function putUser(redis: Redis, user: string, credit: number): Promise<string> {
  await redis.hset(userKey(user), { credit: String(credit), reserved: '0' });
  return keyFor(redis, user);
}

/** An API key for a user (one per user per test process), whether or not the user exists. */
export async function keyFor(redis: Redis, user: string): Promise<string> {
  let key = apiKeys.get(user);
  if (!key) {
    key = await issueApiKey(redis, { id: user, role: 'user' });
    apiKeys.set(user, key);
  }
  return key;
}

/** An operator key (one per test process). */
export async function operatorKey(redis: Redis): Promise<string> {
  let key = apiKeys.get('\0operator');
  if (!key) {
    key = await issueApiKey(redis, { id: `test-operator-${randomUUID().slice(0, 8)}`, role: 'operator' });
    apiKeys.set('\0operator', key);
  }
  return key;
}

/** The Authorization header of a user made by putUser/keyFor. */
export function authOf(user: string): Record<string, string> {
  const key = apiKeys.get(user);
  if (!key) throw new Error(`no API key made for ${user} in this test process`);
  return { Authorization: `Bearer ${key}` };
}
