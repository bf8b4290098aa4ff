// The read model's one write: an order event applied to its user's order list, its current view and
// the user's bounded SSE stream, in one Lua script on the user's hash tag. `seq` decides: an event no
// newer than what is stored (a replay, a duplicate, an out-of-order delivery) changes nothing.
import { isFinal, ORDER_STATUS_TEXT, type OrderEvent, type OrderPhase } from '../../contracts/orders';
import type { Redis } from '../../infra/redis';
import { pipelineBySlot } from '../../store/cluster';
import {
  orderEventStreamKey,
  orderFinalChannel,
  orderListKey,
  orderPhaseListKey,
  orderSeqsKey,
  orderStockListKey,
  orderViewsKey,
} from '../../store/keys';
import { orderView } from '../view';

export const ORDER_PHASES = Object.keys(ORDER_STATUS_TEXT) as OrderPhase[];

/**
 * KEYS: views, seqs, list, stock list, stream, then one list per phase (ORDER_PHASES order).
 * ARGV: orderId, seq, member, view JSON, index of the new phase (1-based), eventId, stream max length,
 * and the channel to publish the view on ('' unless the phase is final: a parked long poll answers
 * from it, lib/orders/read-model/final-notifier.ts). Returns 1 if applied, 0 if the stored seq was
 * already at least this one (nothing is published then: a replay wakes nobody).
 */
const APPLY_ORDER_EVENT_LUA = `
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored and tonumber(stored) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[3])
redis.call('ZADD', KEYS[4], 0, ARGV[3])
local phase = 5 + tonumber(ARGV[5])
for i = 6, #KEYS do
  if i == phase then redis.call('ZADD', KEYS[i], 0, ARGV[3]) else redis.call('ZREM', KEYS[i], ARGV[3]) end
end
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[7], '*', 'id', ARGV[6], 'order', ARGV[4])
if ARGV[8] ~= '' then redis.call('PUBLISH', ARGV[8], ARGV[4]) end
return 1
`;

/** The order list's member for an order: sorts newest first (by receivedAt, then orderId) read backwards. */
export function orderListMember(receivedAt: string, orderId: string): string {
  return `${String(Date.parse(receivedAt)).padStart(15, '0')}|${orderId}`;
}

type ApplyCommand = (...keysAndArgs: string[]) => Promise<number>;
type RedisWithApply = Redis & { applyOrderEvent: ApplyCommand };

function withApplyScript(redis: Redis): RedisWithApply {
  const r = redis as RedisWithApply;
  if (typeof r.applyOrderEvent !== 'function') {
    redis.defineCommand('applyOrderEvent', {
      numberOfKeys: 5 + ORDER_PHASES.length,
      lua: APPLY_ORDER_EVENT_LUA,
    });
  }
  return r;
}

function applyArgs(e: OrderEvent, streamMaxLen: number): string[] {
  const { user, stockId, phase, receivedAt } = e.after;
  return [
    orderViewsKey(user),
    orderSeqsKey(user),
    orderListKey(user),
    orderStockListKey(user, stockId),
    orderEventStreamKey(user),
    ...ORDER_PHASES.map((p) => orderPhaseListKey(user, p)),
    e.orderId,
    String(e.seq),
    orderListMember(receivedAt, e.orderId),
    JSON.stringify(orderView(e.after)),
    String(ORDER_PHASES.indexOf(phase) + 1),
    e.eventId,
    String(streamMaxLen),
    isFinal(phase) ? orderFinalChannel(user, e.orderId) : '',
  ];
}

/**
 * Applies events in one pipeline round trip (one per user on a cluster). Resolves to one entry per event: null on success (applied
 * or ignored as not newer), or the error Redis answered for it. A connection failure rejects instead.
 */
export async function applyOrderEvents(
  redis: Redis,
  events: readonly OrderEvent[],
  streamMaxLen: number,
): Promise<(Error | null)[]> {
  const r = withApplyScript(redis);
  // Each user is its own slot: on a cluster, one pipeline per user, all at once.
  const results = await pipelineBySlot(
    r,
    events.length,
    (i) => orderViewsKey(events[i].after.user),
    (p, i) =>
      void (p as unknown as { applyOrderEvent: ApplyCommand }).applyOrderEvent(
        ...applyArgs(events[i], streamMaxLen),
      ),

    // A stored minute, or an order's view, is what a consumer commits past: it must survive a failover.
    { durable: true },
  );
  return results.map(([err]) => err);
}
