// API keys: issued as high-entropy random tokens, stored only as their SHA-256 hash, looked up by it.
// A key belongs to one principal: a trading user (role `user`) or an operator (role `operator`).
import { createHash, randomBytes } from 'node:crypto';
import { apiKeyKey, operatorApiKeysKey, rateLimitKey, userApiKeysKey } from './keys';
import type { Redis } from '../infra/redis';
import { API_KEY_PATTERN } from '../contracts/ids';

export type Role = 'user' | 'operator';
export interface Principal {
  id: string;
  role: Role;
}

/** A fast hash is enough: the key has 256 bits of entropy, so it cannot be guessed from its hash. */
export const apiKeyHash = (key: string) => createHash('sha256').update(key).digest('hex');

const indexKey = (p: Principal) => (p.role === 'user' ? userApiKeysKey(p.id) : operatorApiKeysKey(p.id));

/** Issues a new key for a principal; the plain key is returned once and never stored. */
export async function issueApiKey(redis: Redis, principal: Principal): Promise<string> {
  const key = `bourse_${randomBytes(32).toString('base64url')}`;
  const hash = apiKeyHash(key);
  // Two hash tags, so two commands (Redis Cluster): the lookup first, so an indexed key always works.
  await redis.hset(apiKeyKey(hash), {
    principal: principal.id,
    role: principal.role,
    createdAt: new Date().toISOString(),
  });
  await redis.sadd(indexKey(principal), hash);
  return key;
}

/** Revokes every key of a principal; answers how many there were. */
export async function revokeApiKeys(redis: Redis, principal: Principal): Promise<number> {
  const hashes = await redis.smembers(indexKey(principal));
  for (const hash of hashes) await redis.del(apiKeyKey(hash));
  await redis.del(indexKey(principal));
  return hashes.length;
}

/** Whose key this is, or undefined for a malformed, unknown or revoked key. */
export async function principalOfKey(redis: Redis, key: string): Promise<Principal | undefined> {
  if (!API_KEY_PATTERN.test(key)) return undefined;
  const found = await redis.hmget(apiKeyKey(apiKeyHash(key)), 'principal', 'role');
  const [id, role] = found;
  if (!id || (role !== 'user' && role !== 'operator')) return undefined;
  return { id, role };
}

/**
 * One fixed window per key: INCR and, on the window's first request, its expiry, atomically.
 * Answers the count so far and the ms until the window ends.
 */
const RATE_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`;

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  /** Whole seconds until the window ends (≥ 1). */
  retryAfterSeconds: number;
}

export async function takeRateToken(
  redis: Redis,
  keyHash: string,
  limit: number,
  windowMs: number,
  now = Date.now(),
): Promise<RateDecision> {
  const window = Math.floor(now / windowMs);
  const [count, ttl] = (await redis.eval(
    RATE_SCRIPT,
    1,
    rateLimitKey(keyHash, window),
    String((window + 1) * windowMs - now),
  )) as [number, number];
  return {
    allowed: count <= limit,
    remaining: Math.max(0, limit - count),
    retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)),
  };
}
