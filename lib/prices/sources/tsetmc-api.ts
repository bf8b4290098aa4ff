// The TSETMC API's wire: its answers' shapes (zod), the browser-like headers it wants, the kinds of
// failure it produces, and Tehran's clock that its history rows are keyed by. See tsetmc-api.md.
import { z } from 'zod';

/** How a TSETMC request can fail, each told apart in logs and metrics. */
export const TSETMC_FAILURE_KINDS = [
  'blocked', // HTTP 403
  'block_page', // an HTML page instead of JSON ("access blocked for security reasons")
  'rate_limited', // HTTP 429
  'server_error', // HTTP 5xx
  'timeout',
  'network',
  'http_error', // another non-2xx status: not retried
  'bad_response', // JSON of an unexpected shape: not retried
] as const;
export type TsetmcFailureKind = (typeof TSETMC_FAILURE_KINDS)[number];

export const RETRYABLE: ReadonlySet<TsetmcFailureKind> = new Set([
  'blocked',
  'block_page',
  'rate_limited',
  'server_error',
  'timeout',
  'network',
]);

export class TsetmcError extends Error {
  constructor(
    readonly kind: TsetmcFailureKind,
    readonly path: string,
    detail: string,
  ) {
    super(`tsetmc ${kind} on ${path}: ${detail}`);
    this.name = 'TsetmcError';
  }
}

/** What a browser sends; without a User-Agent the server answers 403. */
export const BROWSER_HEADERS: Readonly<Record<string, string>> = {
  'User-Agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  Accept: 'application/json, text/plain, */*',
  'Accept-Language': 'fa-IR,fa;q=0.9,en-US;q=0.8,en;q=0.7',
  Origin: 'https://www.tsetmc.com',
  Referer: 'https://www.tsetmc.com/',
};

const num = z.number();
export const closingPriceInfoSchema = z.object({
  closingPriceInfo: z.object({
    pClosing: num,
    pDrCotVal: num,
    priceFirst: num,
    priceMin: num,
    priceMax: num,
    priceYesterday: num,
    zTotTran: num,
    qTotTran5J: num,
    qTotCap: num,
    dEven: num,
    hEven: num,
  }),
});
const historyRowSchema = z.object({
  hEven: num,
  pClosing: num,
  pDrCotVal: num,
  zTotTran: num,
  qTotTran5J: num,
  qTotCap: num,
});
export const closingPriceHistorySchema = z.object({ closingPriceHistory: z.array(historyRowSchema) });
export const tradeSchema = z.object({
  trade: z.array(z.object({ hEven: num, qTitTran: num, pTran: num, canceled: num.optional() })),
});

export type HistoryRow = z.infer<typeof historyRowSchema>;

export interface TehranClock {
  /** yyyymmdd as TSETMC writes dEven. */
  date: number;
  /** HHMMSS as an integer, as TSETMC writes hEven (90033 = 09:00:33). */
  time: number;
}

/** The Tehran-local date and time of an instant, in TSETMC's integer forms. */
export function tehranClock(at: Date, timezone = 'Asia/Tehran'): TehranClock {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    date: n('year') * 10_000 + n('month') * 100 + n('day'),
    time: n('hour') * 10_000 + n('minute') * 100 + n('second'),
  };
}

/**
 * The price at a minute from a day's intraday rows: the newest row with hEven at or before it.
 * Undefined before the day's first row (no price of that day exists yet).
 */
export function rowAtMinute(rows: readonly HistoryRow[], hEven: number): HistoryRow | undefined {
  let best: HistoryRow | undefined;
  for (const r of rows) if (r.hEven <= hEven && (!best || r.hEven > best.hEven)) best = r;
  return best;
}

export const rial = (x: number) => Math.round(x);
export const positiveOr = (x: number, fallback: number) => (x > 0 ? rial(x) : fallback);
