// The price-history invariant of a chaos run: every minute the schedule ran during the run is recorded
// once per stock (no gap, no duplicate, hash and index agree) and `latest` is the newest. A run in
// which no minute ran checks nothing, and that is a failure, not a pass.
import type { Client } from '@temporalio/client';
import type { PriceTick } from '../../lib/contracts/price-tick';
import type { Redis } from '../../lib/infra/redis';
import { latestPriceKey, priceHistoryKey, priceIndexKey } from '../../lib/store/keys';
import { waitFor } from '../wait';
import type { Invariant } from './invariants';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The whole minutes the schedule fired in [from, to]: from the first boundary at or after `from`. */
export function minutesRan(from: number, to: number): number[] {
  const out: number[] = [];
  for (let m = Math.ceil(from / MINUTE) * MINUTE; m <= to; m += MINUTE) out.push(m);
  return out;
}

/** When the price schedule was created (its first run is the next minute), once the worker has made it. */
export function scheduleCreatedAt(
  temporal: Client,
  scheduleId: string,
  timeoutMs = 120_000,
): Promise<number> {
  return waitFor(
    `the price schedule ${scheduleId}`,
    async () => (await temporal.schedule.getHandle(scheduleId).describe()).info.createdAt.getTime(),
    timeoutMs,
    500,
  );
}

/** Waits until every stock has every minute (the schedule catches up after outages) or the deadline. */
export async function settlePrices(
  redis: Redis,
  stocks: readonly string[],
  minutes: readonly number[],
  deadline: number,
): Promise<void> {
  const last = minutes[minutes.length - 1];
  if (last === undefined) return;
  const recorded = async () =>
    (await Promise.all(stocks.map((s) => redis.zscore(priceIndexKey(s), iso(last))))).every(
      (s) => s !== null,
    );
  // Not there by the deadline: checkPrices names what is missing.
  await waitFor('the last minute of every stock', recorded, Math.max(0, deadline - Date.now()), 2_000).catch(
    () => undefined,
  );
}

export async function checkPrices(
  redis: Redis,
  stocks: readonly string[],
  minutes: readonly number[],
): Promise<Invariant> {
  const inv: Invariant = {
    name: 'price history: every minute of the run once per stock, no gap, no duplicate; latest is the newest',
    checked: 0,
    violations: [],
  };
  if (minutes.length === 0) inv.violations.push('no minute of the price schedule ran during the run');
  if (stocks.length === 0) inv.violations.push('no stock configured (STOCKS)');
  for (const stock of stocks) {
    const scored = await redis.zrange(priceIndexKey(stock), 0, -1, 'WITHSCORES');
    const recorded: number[] = [];
    for (let i = 1; i < scored.length; i += 2) recorded.push(Number(scored[i]));
    const have = new Set(recorded);
    for (const m of minutes) {
      inv.checked++;
      if (!have.has(m)) inv.violations.push(`${stock}: no price for ${iso(m)}`);
    }
    const fields = await redis.hlen(priceHistoryKey(stock));
    if (have.size !== recorded.length || fields !== recorded.length) {
      inv.violations.push(`${stock}: ${recorded.length} index entries, ${fields} history entries`);
    }
    const newest = recorded.length ? Math.max(...recorded) : NaN;
    const latest = await redis.get(latestPriceKey(stock));
    const latestMinute = latest ? Date.parse((JSON.parse(latest) as PriceTick).minute) : NaN;
    if (latestMinute !== newest) {
      inv.violations.push(
        `${stock}: latest is ${latest ? iso(latestMinute) : 'missing'}, newest ${recorded.length ? iso(newest) : 'none'}`,
      );
    }
  }
  return inv;
}
