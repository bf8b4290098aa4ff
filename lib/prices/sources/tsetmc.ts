// The TSETMC price source: the real Tehran Stock Exchange API (cdn.tsetmc.com/api/).
// - the current minute: ClosingPrice/GetClosingPriceInfo/{insCode};
// - a past minute of an earlier day: ClosingPrice/GetClosingPriceHistory/{insCode}/{yyyymmdd}, the
//   newest row with hEven at or before the minute (Tehran local time);
// - a past minute of today (history answers 500 for today): Trade/GetTrade/{insCode}, the trades up to
//   the minute, with yesterday's close from GetClosingPriceInfo.
// The server wants browser-like headers and answers 403 or an HTML block page when it dislikes a
// client: every request has a timeout and is retried with backoff, each kind of failure logged as such.
import { z } from 'zod';
import type { Logger } from '../../infra/logger';
import type { PriceTick } from '../../contracts/price-tick';
import { MINUTE_MS, type PriceSource } from './source';
import {
  TsetmcError,
  BROWSER_HEADERS,
  HistoryRow,
  TehranClock,
  tehranClock,
  rowAtMinute,
  RETRYABLE,
  closingPriceInfoSchema,
  closingPriceHistorySchema,
  tradeSchema,
  rial,
  positiveOr,
} from './tsetmc-api';

export interface TsetmcSourceOptions {
  baseUrl: string;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** Requests in flight at once (the server rate-limits simultaneous history calls). */
  concurrency: number;
  timezone: string;
  log: Logger;
  now?: () => Date;
}

export function createTsetmcSource(opts: TsetmcSourceOptions): PriceSource {
  const base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  const now = opts.now ?? (() => new Date());
  const limit = semaphore(opts.concurrency);

  async function attempt(path: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        headers: BROWSER_HEADERS,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new TsetmcError('timeout', path, `no answer within ${opts.timeoutMs} ms`);
      }
      throw new TsetmcError('network', path, (e.cause as Error | undefined)?.message ?? e.message);
    }
    let body: string;
    try {
      body = await res.text();
    } catch (err) {
      const e = err as Error;
      const kind = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : 'network';
      throw new TsetmcError(kind, path, e.message);
    }
    if (res.status === 403) throw new TsetmcError('blocked', path, 'HTTP 403');
    if (res.status === 429) throw new TsetmcError('rate_limited', path, 'HTTP 429');
    if (res.status >= 500) throw new TsetmcError('server_error', path, `HTTP ${res.status}`);
    if (!res.ok) throw new TsetmcError('http_error', path, `HTTP ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('html') || /^\s*</.test(body)) {
      throw new TsetmcError(
        'block_page',
        path,
        `HTML instead of JSON: ${body.replace(/\s+/g, ' ').slice(0, 120)}`,
      );
    }
    try {
      return JSON.parse(body);
    } catch {
      throw new TsetmcError('bad_response', path, `not JSON: ${body.slice(0, 120)}`);
    }
  }

  async function getJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        const json = await limit(() => attempt(path));
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new TsetmcError('bad_response', path, `${issue?.path.join('.')}: ${issue?.message}`);
        }
        return parsed.data;
      } catch (err) {
        if (!(err instanceof TsetmcError)) throw err;
        const retry = RETRYABLE.has(err.kind) && n < opts.maxAttempts;
        const delayMs = retry ? Math.round(opts.retryBaseMs * 2 ** (n - 1) * (0.8 + 0.4 * Math.random())) : 0;
        opts.log.warn(`tsetmc ${err.kind}`, {
          kind: err.kind,
          path,
          attempt: n,
          maxAttempts: opts.maxAttempts,
          detail: err.message,
          ...(retry ? { retryInMs: delayMs } : { givingUp: true }),
        });
        if (!retry) throw err;
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  const tick = (
    stockId: string,
    minute: Date,
    fetchedAt: Date,
    t: Omit<PriceTick, 'stockId' | 'minute' | 'source' | 'fetchedAt'>,
  ): PriceTick => ({
    stockId,
    minute: minute.toISOString(),
    ...t,
    source: 'tsetmc',
    fetchedAt: fetchedAt.toISOString(),
  });

  async function current(stockId: string, minute: Date): Promise<PriceTick | undefined> {
    const { closingPriceInfo: c } = await getJson(
      `ClosingPrice/GetClosingPriceInfo/${stockId}`,
      closingPriceInfoSchema,
    );
    if (c.pClosing <= 0) return undefined; // no price (never traded, or suspended without one)
    const price = rial(c.pClosing);
    return tick(stockId, minute, now(), {
      price,
      last: positiveOr(c.pDrCotVal, price),
      open: positiveOr(c.priceFirst, price),
      low: positiveOr(c.priceMin, price),
      high: positiveOr(c.priceMax, price),
      yesterday: positiveOr(c.priceYesterday, price),
      trades: rial(c.zTotTran),
      volume: rial(c.qTotTran5J),
      value: c.qTotCap,
    });
  }

  async function fromHistory(stockId: string, minute: Date, at: TehranClock): Promise<PriceTick | undefined> {
    const { closingPriceHistory: rows } = await getJson(
      `ClosingPrice/GetClosingPriceHistory/${stockId}/${at.date}`,
      closingPriceHistorySchema,
    );
    const row = rowAtMinute(rows, at.time);
    if (!row || row.pClosing <= 0) return undefined;
    const price = rial(row.pClosing);
    // The day's first row is the pre-open snapshot: its closing price is yesterday's close.
    const preOpen = rows.reduce((a, b) => (b.hEven < a.hEven ? b : a));
    const traded = rows.filter((r) => r.hEven <= at.time && r.zTotTran > 0 && r.pDrCotVal > 0);
    const lastPrices = traded.map((r) => rial(r.pDrCotVal));
    const first = traded.reduce<HistoryRow | undefined>(
      (a, b) => (!a || b.hEven < a.hEven ? b : a),
      undefined,
    );
    return tick(stockId, minute, now(), {
      price,
      last: positiveOr(row.pDrCotVal, price),
      open: first ? rial(first.pDrCotVal) : price,
      low: lastPrices.length ? Math.min(...lastPrices) : price,
      high: lastPrices.length ? Math.max(...lastPrices) : price,
      yesterday: positiveOr(preOpen.pClosing, price),
      trades: rial(row.zTotTran),
      volume: rial(row.qTotTran5J),
      value: row.qTotCap,
    });
  }

  async function fromTodaysTrades(
    stockId: string,
    minute: Date,
    at: TehranClock,
  ): Promise<PriceTick | undefined> {
    const [{ trade }, { closingPriceInfo: info }] = await Promise.all([
      getJson(`Trade/GetTrade/${stockId}`, tradeSchema),
      getJson(`ClosingPrice/GetClosingPriceInfo/${stockId}`, closingPriceInfoSchema),
    ]);
    const yesterday = rial(info.priceYesterday);
    const upTo = trade
      .filter((t) => !t.canceled && t.hEven <= at.time && t.qTitTran > 0)
      .sort((a, b) => a.hEven - b.hEven);
    if (upTo.length === 0) {
      if (yesterday <= 0) return undefined;
      const p = yesterday;
      return tick(stockId, minute, now(), {
        price: p,
        last: p,
        open: p,
        low: p,
        high: p,
        yesterday: p,
        trades: 0,
        volume: 0,
        value: 0,
      });
    }
    const volume = upTo.reduce((s, t) => s + t.qTitTran, 0);
    const value = upTo.reduce((s, t) => s + t.qTitTran * t.pTran, 0);
    const prices = upTo.map((t) => rial(t.pTran));
    const price = rial(value / volume); // the closing price is the volume-weighted average so far
    return tick(stockId, minute, now(), {
      price,
      last: prices[prices.length - 1],
      open: prices[0],
      low: Math.min(...prices),
      high: Math.max(...prices),
      yesterday: yesterday > 0 ? yesterday : price,
      trades: upTo.length,
      volume,
      value,
    });
  }

  return {
    name: 'tsetmc',
    async pricesAt(stockIds, minute) {
      const at = tehranClock(minute, opts.timezone);
      const today = tehranClock(now(), opts.timezone).date;
      const isCurrent = minute.getTime() >= Math.floor(now().getTime() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
      const one = isCurrent
        ? (id: string) => current(id, minute)
        : at.date === today
          ? (id: string) => fromTodaysTrades(id, minute, at)
          : (id: string) => fromHistory(id, minute, at);
      const results = await Promise.allSettled(stockIds.map(one));
      const failed = results.flatMap((r, i) =>
        r.status === 'rejected' ? [`${stockIds[i]}: ${(r.reason as Error).message}`] : [],
      );
      // All or nothing: the activity is retried and re-publishes (harmless: keyed by stock and minute).
      if (failed.length > 0)
        throw new Error(
          `tsetmc: ${failed.length} of ${stockIds.length} stocks failed: ${failed.slice(0, 3).join('; ')}`,
        );
      return results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    },
  };
}

function semaphore(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active < max) active++;
    else await new Promise<void>((r) => waiting.push(r)); // the slot is handed over, still counted
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
