// The per-stock minute price history in Redis: the consumer's writer (one script per stock, with the
// retention window) and the readers the API and the order checks use.
import { latestPriceKey, priceHistoryKey, priceIndexKey } from './keys';
import { priceTickSchema, type PriceTick } from '../contracts/price-tick';
import type { Redis } from '../infra/redis';
import { pipelineBySlot } from './cluster';
import { lastParsed } from '../contracts/time';

/** The newest tick of a stock, or undefined if no price has been recorded yet. */
export async function readLatestTick(redis: Redis, stockId: string): Promise<PriceTick | undefined> {
  const raw = await redis.get(latestPriceKey(stockId));
  return raw === null ? undefined : priceTickSchema.parse(JSON.parse(raw));
}

/** The ticks of a stock with minutes in [from, to] (inclusive), oldest first. */
export async function readPriceHistory(
  redis: Redis,
  stockId: string,
  from: Date,
  to: Date,
): Promise<PriceTick[]> {
  const minutes = await redis.zrangebyscore(priceIndexKey(stockId), from.getTime(), to.getTime());
  if (minutes.length === 0) return [];
  const raws = await redis.hmget(priceHistoryKey(stockId), ...minutes);
  return raws.filter((r): r is string => r !== null).map((r) => priceTickSchema.parse(JSON.parse(r)));
}

/**
 * One atomic step per stock (its keys share the {stock:<id>} hash tag): every (minute, tick) of the
 * batch goes into the history hash and the minute index; "latest" is replaced only if the newest
 * minute written is now the newest minute known, so a late minute never overwrites a newer latest.
 * Then the window: minutes older than the newest minus the retention leave, at most TRIM_PER_CALL per
 * call (never a full scan, never a long block; a stock written every minute catches up at once).
 * KEYS: history, index, latest. ARGV: retention ms (0: keep all), then (minute ISO, minute epoch ms,
 * tick JSON) repeated.
 */
const TRIM_PER_CALL = 500;
/** (minute, tick) pairs per HSET and per ZADD: one command for a stock's whole batch, in slices that
 * stay far below the Lua stack's limit on unpack. */
const PAIRS_PER_CALL = 1_000;
const RECORD_TICKS_LUA = `
local newest, newestMs = nil, -1
local fields, scores = {}, {}
for i = 2, #ARGV, 3 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 2]
  scores[#scores + 1] = ARGV[i + 1]
  scores[#scores + 1] = ARGV[i]
  local ms = tonumber(ARGV[i + 1])
  if ms >= newestMs then newest, newestMs = ARGV[i + 2], ms end
end
for s = 1, #fields, ${PAIRS_PER_CALL * 2} do
  local e = math.min(s + ${PAIRS_PER_CALL * 2 - 1}, #fields)
  redis.call('HSET', KEYS[1], unpack(fields, s, e))
  redis.call('ZADD', KEYS[2], unpack(scores, s, e))
end
local top = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local topMs = tonumber(top[2])
if topMs <= newestMs then redis.call('SET', KEYS[3], newest) end
local retention = tonumber(ARGV[1])
if retention > 0 then
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('(%d', topMs - retention), 'LIMIT', 0, ${TRIM_PER_CALL})
  if #old > 0 then
    redis.call('HDEL', KEYS[1], unpack(old))
    redis.call('ZREM', KEYS[2], unpack(old))
  end
end
return (#ARGV - 1) / 3
`;

type RecordTicks = (history: string, index: string, latest: string, ...args: string[]) => Promise<number>;
type RedisWithRecord = Redis & { recordPriceTicks: RecordTicks };

function withRecordScript(redis: Redis): RedisWithRecord {
  const r = redis as RedisWithRecord;
  if (typeof r.recordPriceTicks !== 'function') {
    redis.defineCommand('recordPriceTicks', { numberOfKeys: 3, lua: RECORD_TICKS_LUA });
  }
  return r;
}

/**
 * Writes ticks, one script call per stock, all in one pipeline round trip (one per node on a cluster). Resolves to one entry per
 * stock: null on success, or the error Redis answered for that stock's write. A connection-level
 * failure rejects instead (nothing is known to be written; the caller retries the whole batch).
 * `json[i]`, if given, is ticks[i] already serialised (parseTickMessage's `json`): not stringified again.
 */
export async function writeTicks(
  redis: Redis,
  ticks: readonly PriceTick[],
  json?: readonly string[],
  /** PRICE_HISTORY_RETENTION, ms: the window of minutes kept behind each stock's newest (0: all). */
  retentionMs = 0,
): Promise<Map<string, Error | null>> {
  const r = withRecordScript(redis);
  const byStock = new Map<string, string[]>();
  const minuteMs = lastParsed();
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i];
    let args = byStock.get(t.stockId);
    if (!args) byStock.set(t.stockId, (args = [String(retentionMs)]));
    args.push(t.minute, String(minuteMs(t.minute)), json?.[i] ?? JSON.stringify(t));
  }
  const stocks = [...byStock.keys()];
  // Each stock is its own slot: on a cluster, one pipeline per stock, all at once.
  const results = await pipelineBySlot(
    r,
    stocks.length,
    (i) => priceHistoryKey(stocks[i]),
    (p, i) => {
      const id = stocks[i];
      void (p as unknown as { recordPriceTicks: RecordTicks }).recordPriceTicks(
        priceHistoryKey(id),
        priceIndexKey(id),
        latestPriceKey(id),
        ...byStock.get(id)!,
      );
    },

    // A stored minute, or an order's view, is what a consumer commits past: it must survive a failover.
    { durable: true },
  );
  return new Map(stocks.map((id, i) => [id, results[i]?.[0] ?? null]));
}

/** The newest tick of a stock with a minute before `before`, or undefined if none is stored. */
export async function readLastTickBefore(
  redis: Redis,
  stockId: string,
  before: Date,
): Promise<PriceTick | undefined> {
  const [minute] = await redis.zrevrangebyscore(
    priceIndexKey(stockId),
    `(${before.getTime()}`,
    '-inf',
    'LIMIT',
    0,
    1,
  );
  if (minute === undefined) return undefined;
  const raw = await redis.hget(priceHistoryKey(stockId), minute);
  return raw === null ? undefined : priceTickSchema.parse(JSON.parse(raw));
}
