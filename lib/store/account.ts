// A user's account as GET /account shows it: credit, reserved and holdings read in one MULTI on the
// user's hash tag (one slot), so the three always agree with each other and with settlement.
import type { Redis } from '../infra/redis';
import { pipelineBySlot } from './cluster';
import { holdingsKey, stockInfoKey, userKey } from './keys';

export interface Account {
  user: string;
  credit: number;
  reserved: number;
  available: number;
  holdings: { stockid: string; name?: string; quantity: number }[];
}

export async function readAccount(redis: Redis, user: string): Promise<Account | undefined> {
  const results = await redis
    .multi()
    .hmget(userKey(user), 'credit', 'reserved')
    .hgetall(holdingsKey(user))
    .exec();
  if (!results) throw new Error('Redis transaction was discarded');
  for (const [err] of results) if (err) throw err;
  const [credit, reserved] = results[0]![1] as [string | null, string | null];
  if (credit === null) return undefined;
  const held = Object.entries(results[1]![1] as Record<string, string>)
    .map(([stockid, q]) => ({ stockid, quantity: Number(q) }))
    .filter((h) => h.quantity > 0)
    .sort((a, b) => (a.stockid < b.stockid ? -1 : 1));
  const names = await stockNames(
    redis,
    held.map((h) => h.stockid),
  );
  const money = { credit: Number(credit), reserved: Number(reserved ?? 0) };
  return {
    user,
    ...money,
    available: money.credit - money.reserved,
    holdings: held.map((h) => ({ ...h, ...(names[h.stockid] ? { name: names[h.stockid] } : {}) })),
  };
}

/** The name of each stock the store knows one for (one pipelined HGET per stock: each on its own slot). */
export async function stockNames(redis: Redis, stockIds: readonly string[]): Promise<Record<string, string>> {
  if (stockIds.length === 0) return {};
  const results = await pipelineBySlot(
    redis,
    stockIds.length,
    (i) => stockInfoKey(stockIds[i]!),
    (p, i) => void p.hget(stockInfoKey(stockIds[i]!), 'name'),
  );
  const out: Record<string, string> = {};
  stockIds.forEach((id, i) => {
    const [err, name] = results[i] ?? [];
    if (!err && typeof name === 'string') out[id] = name;
  });
  return out;
}
