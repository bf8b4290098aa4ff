// A user's money and shares as orders move them in Redis: credit and reserved on the user's hash, each
// order's money state beside it, holdings with the shares open sells reserve and their cost basis (the
// operator's credit changes: operator-credit.ts). Every script touches keys of the user's hash tag only
// (one Redis Cluster slot), and keeps credit >= reserved >= 0 and held >= reserved shares >= 0 whatever runs concurrently. Every script
// that moves money runs through moneyWrite: on a cluster it is done only once a replica holds it.
import type { Redis } from '../infra/redis';
import { costBasisKey, holdingsKey, orderKey, sharesReservedKey, userKey } from './keys';
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

/**
 * A sell's check: reserve `quantity` shares if held − reserved by open sells covers them, and record
 * the order's money state (the amount it will credit: price × quantity at the price the check used).
 * A stock the user never held is refused (no field in the holdings). A second call returns the first's
 * outcome. KEYS: user hash, order hash, holdings, shares reserved. ARGV: amount, stockId, quantity, price.
 */
const RESERVE_SHARES_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if not state then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown_user'} end
  local held = redis.call('HGET', KEYS[3], ARGV[2])
  if not held then return {'no_holding'} end
  local reserved = redis.call('HGET', KEYS[4], ARGV[2]) or '0'
  state = 'denied'
  if tonumber(ARGV[3]) <= tonumber(held) - tonumber(reserved) then
    redis.call('HINCRBY', KEYS[4], ARGV[2], ARGV[3])
    state = 'reserved'
  end
  redis.call('HSET', KEYS[2], 'state', state, 'side', 'sell', 'amount', ARGV[1], 'stockId', ARGV[2],
    'quantity', ARGV[3], 'price', ARGV[4], 'held', held, 'sharesReserved', reserved)
else
  redis.call('HSET', KEYS[2], 'state', state)
end
return {state, redis.call('HGET', KEYS[2], 'amount'), redis.call('HGET', KEYS[2], 'price'),
  redis.call('HGET', KEYS[2], 'held'), redis.call('HGET', KEYS[2], 'sharesReserved')}
`;

/**
 * reserved → settled or released (ARGV[1]), for either side, in one step, recording the order's final
 * phase and reason (ARGV[2], ARGV[3]) with it. Settled: a buy's amount leaves credit and its shares
 * join the holdings at that cost; a sell's shares leave (with their share of the cost basis) and its
 * amount joins credit. Released: the reservation is given back. An order no longer reserved is answered
 * as it was decided, whatever this call asks: the first decision stands (a workflow task retried after
 * its local activity ran may decide again, differently, when a cancel raced the verification).
 * KEYS: user, order, holdings, shares reserved, cost basis. Returns {state, phase, reason}.
 */
const FINISH_SCRIPT = `
local state = redis.call('HGET', KEYS[2], 'state')
if state ~= 'reserved' then
  if state then redis.call('HSET', KEYS[2], 'state', state) end
  return {state or 'missing', redis.call('HGET', KEYS[2], 'phase') or '', redis.call('HGET', KEYS[2], 'reason') or ''}
end
local o = redis.call('HMGET', KEYS[2], 'side', 'amount', 'stockId', 'quantity')
local amount, stock, qty = o[2], o[3], o[4]
local settle = ARGV[1] == 'settled'
if o[1] == 'sell' then
  redis.call('HINCRBY', KEYS[4], stock, '-' .. qty)
  if settle then
    local held = tonumber(redis.call('HGET', KEYS[3], stock) or '0')
    local cost = tonumber(redis.call('HGET', KEYS[5], stock) or '0')
    local keep = 0
    if held > tonumber(qty) then keep = cost - math.floor(cost / held * tonumber(qty) + 0.5) end
    redis.call('HINCRBY', KEYS[3], stock, '-' .. qty)
    redis.call('HSET', KEYS[5], stock, string.format('%.0f', keep))
    redis.call('HINCRBY', KEYS[1], 'credit', amount)
  end
else
  redis.call('HINCRBY', KEYS[1], 'reserved', '-' .. amount)
  if settle then
    redis.call('HINCRBY', KEYS[1], 'credit', '-' .. amount)
    redis.call('HINCRBY', KEYS[3], stock, qty)
    redis.call('HINCRBY', KEYS[5], stock, amount)
  end
end
redis.call('HSET', KEYS[2], 'state', ARGV[1], 'phase', ARGV[2], 'reason', ARGV[3])
return {ARGV[1], ARGV[2], ARGV[3]}
`;

/**
 * A limit order filled: its reservation was made at the limit; from now on it is priced at the crossing
 * tick's (ARGV[1], amount ARGV[2] = price × quantity). A buy gives back the difference between what it
 * reserved and what it will pay; a sell will be credited the new amount. The first fill stands: a
 * second call (a retried task, a repeated signal) answers the recorded price and amount.
 * KEYS: user, order. Returns {state, price, amount}.
 */
const FILL_SCRIPT = `
local o = redis.call('HMGET', KEYS[2], 'state', 'side', 'amount', 'filled')
if o[1] ~= 'reserved' or o[4] then
  if o[1] then redis.call('HSET', KEYS[2], 'state', o[1]) end
  return {o[1] or 'missing', redis.call('HGET', KEYS[2], 'price') or '0', o[3] or '0'}
end
if o[2] ~= 'sell' then
  local back = tonumber(o[3]) - tonumber(ARGV[2])
  if back < 0 then return {'above_limit', ARGV[1], ARGV[2]} end
  -- Filled at its limit gives nothing back (and HINCRBY refuses "-0").
  if back > 0 then redis.call('HINCRBY', KEYS[1], 'reserved', string.format('-%.0f', back)) end
end
redis.call('HSET', KEYS[2], 'filled', '1', 'limitAmount', o[3], 'price', ARGV[1], 'amount', ARGV[2])
return {'reserved', ARGV[1], ARGV[2]}
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

export type ReserveSharesOutcome =
  | { state: 'unknown_user' | 'no_holding' }
  | { state: string; amount: number; price: number; held: number; sharesReserved: number };

/** Reserves `quantity` shares for a sell if held − reserved covers them; a second call answers the first's outcome. */
export async function reserveOrderShares(
  redis: Redis,
  o: { user: string; orderId: string; amount: number; stockId: string; quantity: number; price: number },
): Promise<ReserveSharesOutcome> {
  const [state, amount, price, held, reserved] = await moneyWrite<
    [string, string?, string?, string?, string?]
  >(
    redis,
    RESERVE_SHARES_SCRIPT,
    [userKey(o.user), orderKey(o.user, o.orderId), holdingsKey(o.user), sharesReservedKey(o.user)],
    [String(o.amount), o.stockId, String(o.quantity), String(o.price)],
  );
  if (state === 'unknown_user' || state === 'no_holding') return { state };
  return {
    state,
    amount: Number(amount),
    price: Number(price),
    held: Number(held),
    sharesReserved: Number(reserved),
  };
}

export interface FinishOutcome {
  /** settled or released (or, for an order never reserved, its state: denied, missing). */
  state: string;
  /** The order's final phase as recorded with it ('' for orders finished before it was recorded). */
  phase: string;
  reason: string;
}

/** reserved → `to` (settled or released), either side, recording `phase` and `reason`; the first decision stands. */
export async function finishOrder(
  redis: Redis,
  o: { user: string; orderId: string; to: 'settled' | 'released'; phase: string; reason?: string },
): Promise<FinishOutcome> {
  const [state, phase, reason] = await moneyWrite<[string, string, string]>(
    redis,
    FINISH_SCRIPT,
    [
      userKey(o.user),
      orderKey(o.user, o.orderId),
      holdingsKey(o.user),
      sharesReservedKey(o.user),
      costBasisKey(o.user),
    ],
    [o.to, o.phase, o.reason ?? ''],
  );
  return { state, phase, reason };
}

/** Reprices a reserved limit order at its fill price (a buy releases the difference); the first fill stands. */
export async function recordLimitFill(
  redis: Redis,
  o: { user: string; orderId: string; price: number; amount: number },
): Promise<{ state: string; price: number; amount: number }> {
  const [state, price, amount] = await moneyWrite<[string, string, string]>(
    redis,
    FILL_SCRIPT,
    [userKey(o.user), orderKey(o.user, o.orderId)],
    [String(o.price), String(o.amount)],
  );
  return { state, price: Number(price), amount: Number(amount) };
}
