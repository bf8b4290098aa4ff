// Users and prices put straight into Redis, as the tests, bench and chaos all need them.
import { flatTick } from '../../lib/contracts/price-tick';
import type { Redis } from '../../lib/infra/redis';
import { issueApiKey } from '../../lib/store/api-keys';
import { costBasisKey, holdingsKey, latestPriceKey, userKey } from '../../lib/store/keys';

/** SAIPA's instrument code: the stock every order scenario buys. */
export const SAIPA = '44891482026867833';

/** Records `price` as the stock's latest tick, for the current minute (or the minute of `at`). */
export async function putPrice(redis: Redis, stockId: string, price: number, at = new Date()): Promise<void> {
  await redis.set(latestPriceKey(stockId), JSON.stringify(flatTick(stockId, price, at)));
}

/** A user with this credit and nothing reserved, and a new API key for it. Returns the key. */
export async function putAccount(redis: Redis, user: string, credit: number): Promise<string> {
  await redis.hset(userKey(user), { credit: String(credit), reserved: '0' });
  return issueApiKey(redis, { id: user, role: 'user' });
}

/** `shares` of the stock held, bought at `price` each (as settled buys leave them), none reserved. */
export async function putHolding(
  redis: Redis,
  user: string,
  stockId: string,
  shares: number,
  price: number,
): Promise<void> {
  await redis.hset(holdingsKey(user), stockId, String(shares));
  await redis.hset(costBasisKey(user), stockId, String(shares * price));
}

export async function userMoney(redis: Redis, user: string): Promise<{ credit: number; reserved: number }> {
  const h = await redis.hgetall(userKey(user));
  return { credit: Number(h.credit), reserved: Number(h.reserved) };
}
