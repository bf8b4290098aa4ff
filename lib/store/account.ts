// A user's account as GET /account shows it: credit, reserved, holdings, the shares open sells reserve
// and each holding's cost basis, read in one MULTI on the user's hash tag (one slot), so they always
// agree with each other and with settlement; then each held stock's latest price and name, to value
// the positions (average cost, market value, unrealized profit or loss).
import type { Redis } from '../infra/redis';
import type { OrderView } from '../contracts/http/orders';
import {
  costBasisKey,
  holdingsKey,
  orderPhaseListKey,
  orderViewsKey,
  sharesReservedKey,
  userKey,
} from './keys';
import { latestTicks, stockNames } from './stock-list';

export interface Position {
  stockid: string;
  name?: string;
  quantity: number;
  /** Shares reserved by open sells: quantity − reserved may be sold. */
  reserved: number;
  /** What the shares held cost, rials (average-cost method: a sell takes its share of it). */
  costBasis: number;
  /** costBasis ÷ quantity, rials per share, to 2 decimals. */
  averageCost: number;
  /** The latest tick's price and minute; absent while the stock has no price. */
  latestPrice?: number;
  priceMinute?: string;
  /** quantity × latestPrice, rials. */
  marketValue?: number;
  /** marketValue − costBasis, rials. */
  unrealizedPnl?: number;
}

/** What one undecided order holds: credit (a buy) or shares (a sell). */
export interface OpenOrderHold {
  orderId: string;
  stockid: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  phase: 'open' | 'inProgress';
  quantity: number;
  limitPrice?: number;
  /** A buy: rials reserved (its limit × quantity while Open, price × quantity once filled). */
  reservedCredit?: number;
  /** A sell: shares reserved. */
  reservedShares?: number;
}

export interface Account {
  user: string;
  credit: number;
  reserved: number;
  available: number;
  holdings: Position[];
  /** The undecided orders and what each holds reserved, newest first (the read model's view of them). */
  openOrders: OpenOrderHold[];
  /** Sums over the holdings (marketValue and unrealizedPnl over those with a price). */
  totals: { costBasis: number; marketValue: number; unrealizedPnl: number };
}

/** At most this many undecided orders per phase are listed in an account. */
const MAX_OPEN_ORDERS = 500;

/** The user's Open and In Progress orders from the read model, with what each holds. */
async function openOrderHolds(redis: Redis, user: string): Promise<OpenOrderHold[]> {
  const phases = ['open', 'inProgress'] as const;
  const members = (
    await Promise.all(
      phases.map((p) =>
        redis.zrevrangebylex(orderPhaseListKey(user, p), '+', '-', 'LIMIT', 0, MAX_OPEN_ORDERS),
      ),
    )
  )
    .flat()
    .sort()
    .reverse();
  if (members.length === 0) return [];
  const raws = await redis.hmget(orderViewsKey(user), ...members.map((m) => m.slice(m.indexOf('|') + 1)));
  return raws.flatMap((raw): OpenOrderHold[] => {
    if (!raw) return [];
    const v = JSON.parse(raw) as OrderView;
    if (v.phase !== 'open' && v.phase !== 'inProgress') return [];
    const side = v.side ?? 'buy';
    return [
      {
        orderId: v.orderId,
        stockid: v.stockid,
        side,
        type: v.type ?? 'market',
        phase: v.phase,
        quantity: v.quantity,
        ...(v.limitPrice !== undefined ? { limitPrice: v.limitPrice } : {}),
        ...(side === 'sell' ? { reservedShares: v.quantity } : { reservedCredit: v.amount ?? 0 }),
      },
    ];
  });
}

const numbers = (h: Record<string, string>) =>
  new Map(Object.entries(h).map(([k, v]) => [k, Number(v)] as const));

export async function readAccount(redis: Redis, user: string): Promise<Account | undefined> {
  const results = await redis
    .multi()
    .hmget(userKey(user), 'credit', 'reserved')
    .hgetall(holdingsKey(user))
    .hgetall(sharesReservedKey(user))
    .hgetall(costBasisKey(user))
    .exec();
  if (!results) throw new Error('Redis transaction was discarded');
  for (const [err] of results) if (err) throw err;
  const [credit, reserved] = results[0][1] as [string | null, string | null];
  if (credit === null) return undefined;
  const held = numbers(results[1][1] as Record<string, string>);
  const sharesReserved = numbers(results[2][1] as Record<string, string>);
  const costs = numbers(results[3][1] as Record<string, string>);
  const stockIds = [...held.entries()]
    .filter(([, q]) => q > 0)
    .map(([id]) => id)
    .sort();
  const [names, ticks, openOrders] = await Promise.all([
    stockNames(redis, stockIds),
    latestTicks(redis, stockIds),
    openOrderHolds(redis, user),
  ]);
  const holdings = stockIds.map((stockid): Position => {
    const quantity = held.get(stockid)!;
    const costBasis = costs.get(stockid) ?? 0;
    const name = names[stockid];
    const tick = ticks.get(stockid);
    const marketValue = tick ? tick.price * quantity : undefined;
    return {
      stockid,
      ...(name ? { name } : {}),
      quantity,
      reserved: sharesReserved.get(stockid) ?? 0,
      costBasis,
      averageCost: Math.round((costBasis / quantity) * 100) / 100,
      ...(tick && marketValue !== undefined
        ? {
            latestPrice: tick.price,
            priceMinute: tick.minute,
            marketValue,
            unrealizedPnl: marketValue - costBasis,
          }
        : {}),
    };
  });
  const money = { credit: Number(credit), reserved: Number(reserved ?? 0) };
  const sum = (f: (p: Position) => number | undefined) => holdings.reduce((a, p) => a + (f(p) ?? 0), 0);
  return {
    user,
    ...money,
    available: money.credit - money.reserved,
    holdings,
    openOrders,
    totals: {
      costBasis: sum((p) => p.costBasis),
      marketValue: sum((p) => p.marketValue),
      unrealizedPnl: sum((p) => p.unrealizedPnl),
    },
  };
}
