// The operator's changes to a user's credit in Redis: set it (creating the user), or adjust it by a
// delta recorded in the user's credit-event stream. Never below what orders hold reserved; each in one
// script on the user's hash tag, through moneyWrite (credit.ts has what orders do to the same hash).
import type { Redis } from '../infra/redis';
import type { Money } from './credit';
import { creditAdjustmentKey, creditEventsKey, userKey } from './keys';
import { moneyWrite } from './money-write';

/** Sets credit, never below what orders hold reserved. KEYS: user. ARGV: credit. */
const SET_CREDIT_SCRIPT = `
local reserved = redis.call('HGET', KEYS[1], 'reserved') or '0'
if tonumber(ARGV[1]) < tonumber(reserved) then return {'below_reserved', reserved} end
redis.call('HSET', KEYS[1], 'credit', ARGV[1])
redis.call('HSETNX', KEYS[1], 'reserved', '0')
return {'ok', redis.call('HGET', KEYS[1], 'credit'), redis.call('HGET', KEYS[1], 'reserved')}
`;

/**
 * credit += delta, never below reserved nor above the maximum, recorded in the user's credit-event
 * stream in the same step; with an Idempotency-Key, applied once. KEYS: user, events, adjustment.
 * ARGV: delta, max credit, by, at (ISO), idempotency key or ''.
 */
const ADJUST_CREDIT_SCRIPT = `
if ARGV[5] ~= '' then
  local prev = redis.call('HMGET', KEYS[3], 'delta', 'event', 'at')
  if prev[1] then
    if prev[1] ~= ARGV[1] then return {'key_reused', prev[1]} end
    redis.call('HSET', KEYS[3], 'delta', prev[1])
    return {'replayed', redis.call('HGET', KEYS[1], 'credit'), redis.call('HGET', KEYS[1], 'reserved') or '0', prev[2], prev[3]}
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown_user'} end
local credit = redis.call('HGET', KEYS[1], 'credit') or '0'
local reserved = redis.call('HGET', KEYS[1], 'reserved') or '0'
local after = tonumber(credit) + tonumber(ARGV[1])
if after < tonumber(reserved) then return {'below_reserved', reserved, credit} end
if after > tonumber(ARGV[2]) then return {'above_max', credit} end
redis.call('HINCRBY', KEYS[1], 'credit', ARGV[1])
redis.call('HSETNX', KEYS[1], 'reserved', '0')
local id = redis.call('XADD', KEYS[2], '*', 'delta', ARGV[1], 'by', ARGV[3], 'at', ARGV[4], 'key', ARGV[5],
  'credit', redis.call('HGET', KEYS[1], 'credit'))
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'delta', ARGV[1], 'event', id, 'at', ARGV[4]) end
return {'applied', redis.call('HGET', KEYS[1], 'credit'), redis.call('HGET', KEYS[1], 'reserved'), id, ARGV[4]}
`;

export type SetCreditResult = { ok: true; money: Money } | { ok: false; reserved: number };

/** Creates the user or sets its credit; refused below what is reserved. */
export async function setCredit(redis: Redis, user: string, credit: number): Promise<SetCreditResult> {
  const [state, a, b] = await moneyWrite<string[]>(
    redis,
    SET_CREDIT_SCRIPT,
    [userKey(user)],
    [String(credit)],
  );
  if (state === 'below_reserved') return { ok: false, reserved: Number(a) };
  return { ok: true, money: { credit: Number(a), reserved: Number(b) } };
}

export type AdjustResult =
  | { outcome: 'applied' | 'replayed'; money: Money; eventId: string; at: string }
  | { outcome: 'unknown_user' }
  | { outcome: 'below_reserved'; reserved: number; credit: number }
  | { outcome: 'above_max'; credit: number }
  | { outcome: 'key_reused'; delta: number };

export async function adjustCredit(
  redis: Redis,
  a: { user: string; delta: number; maxCredit: number; by: string; idempotencyKey?: string },
): Promise<AdjustResult> {
  const key = a.idempotencyKey ?? '';
  const r = await moneyWrite<string[]>(
    redis,
    ADJUST_CREDIT_SCRIPT,
    [userKey(a.user), creditEventsKey(a.user), creditAdjustmentKey(a.user, key)],
    [String(a.delta), String(a.maxCredit), a.by, new Date().toISOString(), key],
  );
  switch (r[0]) {
    case 'applied':
    case 'replayed':
      return {
        outcome: r[0],
        money: { credit: Number(r[1]), reserved: Number(r[2]) },
        eventId: r[3],
        at: r[4],
      };
    case 'below_reserved':
      return { outcome: 'below_reserved', reserved: Number(r[1]), credit: Number(r[2]) };
    case 'above_max':
      return { outcome: 'above_max', credit: Number(r[1]) };
    case 'key_reused':
      return { outcome: 'key_reused', delta: Number(r[1]) };
    default:
      return { outcome: 'unknown_user' };
  }
}
