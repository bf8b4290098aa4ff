// A user's money in Redis: credit and reserved on the user's hash, each order's money state beside it,
// holdings, and the operator's credit events. Every script touches keys of the user's hash tag only
// (one Redis Cluster slot), and keeps credit >= reserved >= 0 whatever runs concurrently. Every script
// that moves money runs through moneyWrite: on a cluster it is done only once a replica holds it.
import type { Redis } from '../infra/redis';
import { creditAdjustmentKey, creditEventsKey, holdingsKey, orderKey, userKey } from './keys';
import { moneyWrite } from './money-write';

export { ReplicaAckError } from './money-write';

/**
 * One atomic step on the user's keys (one hash tag): reserve `amount` if credit − reserved covers it,
 * and record the order's money state. A second call for the same order returns the first's outcome.
 * Amounts go in and out as strings and are moved with HINCRBY, so Lua's doubles never format them.
 * KEYS: user hash, order hash. ARGV: amount, stockId, quantity, price.
 */
const RESERVE_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if not state then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown_user'} end
  local credit = redis.call('HGET', KEYS[1], 'credit') or '0'
  local reserved = redis.call('HGET', KEYS[1], 'reserved') or '0'
  state = 'denied'
  if tonumber(ARGV[1]) <= tonumber(credit) - tonumber(reserved) then
    redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
    state = 'reserved'
  end
  redis.call('HSET', KEYS[2], 'state', state, 'amount', ARGV[1], 'stockId', ARGV[2], 'quantity', ARGV[3],
    'price', ARGV[4], 'credit', credit, 'reserved', reserved)
else
  -- A replay writes too (the same state), so the WAIT after it covers the outcome it reports.
  redis.call('HSET', KEYS[2], 'state', state)
end
return {state, redis.call('HGET', KEYS[2], 'amount'), redis.call('HGET', KEYS[2], 'price'),
  redis.call('HGET', KEYS[2], 'credit'), redis.call('HGET', KEYS[2], 'reserved')}
`;

/** reserved → settled: the reserved amount leaves credit and the shares join the holdings. KEYS: user, order, holdings. */
const SETTLE_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'reserved' then
  local amount = redis.call('HGET', KEYS[2], 'amount')
  redis.call('HINCRBY', KEYS[1], 'reserved', '-' .. amount)
  redis.call('HINCRBY', KEYS[1], 'credit', '-' .. amount)
  redis.call('HINCRBY', KEYS[3], redis.call('HGET', KEYS[2], 'stockId'), redis.call('HGET', KEYS[2], 'quantity'))
  redis.call('HSET', KEYS[2], 'state', 'settled')
  return 'settled'
end
if state then redis.call('HSET', KEYS[2], 'state', state) end
return state or 'missing'
`;

/** reserved → released: the reservation is given back. KEYS: user, order. */
const RELEASE_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'reserved' then
  redis.call('HINCRBY', KEYS[1], 'reserved', '-' .. redis.call('HGET', KEYS[2], 'amount'))
  redis.call('HSET', KEYS[2], 'state', 'released')
  return 'released'
end
if state then redis.call('HSET', KEYS[2], 'state', state) end
return state or 'missing'
`;

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

export interface Money {
  credit: number;
  reserved: number;
}

/** Credit and reserved in one read (one command: always a consistent pair). */
export async function readMoney(redis: Redis, user: string): Promise<Money | undefined> {
  const [credit, reserved] = await redis.hmget(userKey(user), 'credit', 'reserved');
  if (credit === null) return undefined;
  return { credit: Number(credit), reserved: Number(reserved ?? 0) };
}

export type ReserveOutcome =
  | { state: 'unknown_user' }
  | { state: string; amount: number; price: number; credit: number; reserved: number };

/** Reserves `amount` for the order if credit − reserved covers it; a second call answers the first's outcome. */
export async function reserveOrderCredit(
  redis: Redis,
  o: { user: string; orderId: string; amount: number; stockId: string; quantity: number; price: number },
): Promise<ReserveOutcome> {
  const [state, amount, price, credit, reserved] = await moneyWrite<
    [string, string?, string?, string?, string?]
  >(
    redis,
    RESERVE_SCRIPT,
    [userKey(o.user), orderKey(o.user, o.orderId)],
    [String(o.amount), o.stockId, String(o.quantity), String(o.price)],
  );
  if (state === 'unknown_user') return { state };
  return {
    state,
    amount: Number(amount),
    price: Number(price),
    credit: Number(credit),
    reserved: Number(reserved),
  };
}

/** An order's recorded money state (reserved, denied, settled, released), if any. */
export const orderMoneyState = (redis: Redis, user: string, orderId: string) =>
  redis.hget(orderKey(user, orderId), 'state');

/** reserved → settled; answers the state the order is in afterwards. */
export const settleOrderCredit = async (redis: Redis, user: string, orderId: string): Promise<string> =>
  moneyWrite<string>(redis, SETTLE_SCRIPT, [userKey(user), orderKey(user, orderId), holdingsKey(user)], []);

/** reserved → released; answers the state the order is in afterwards. */
export const releaseOrderCredit = async (redis: Redis, user: string, orderId: string): Promise<string> =>
  moneyWrite<string>(redis, RELEASE_SCRIPT, [userKey(user), orderKey(user, orderId)], []);

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
        eventId: r[3]!,
        at: r[4]!,
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
