// The pieces every row reader of `npm run prices:import` shares: what a reader is and answers, and the
// field rules (numbers, counts, TSETMC's yyyymmdd/hhmmss, the column index, the tick in schema order).
// Pure: no I/O.
import type { PriceTick } from '../../contracts/price-tick';

export type RowFormat = 'bourse-csv' | 'tsetmc-csv' | 'tsetmc-jsonl';
export type Source = PriceTick['source'];

export interface RowDefaults {
  /** The tick's `source` when the row does not say (bourse CSV without a `source` column; TSETMC rows are `tsetmc`). */
  source: Source;
  /** TSETMC rows: the instrument code when the row's `insCode` is empty, "0" or null (intraday history). */
  stockId?: string;
  /** TSETMC rows: the day (yyyymmdd) when the row's `dEven` is 0 (intraday history). */
  date?: number;
  /** TSETMC's `dEven`/`hEven` are local time of this zone (MARKET_TIMEZONE). */
  timezone: string;
  /** Rows for a minute later than this (epoch ms) are rejected: an import is history, never the future. */
  latestMinuteMs: number;
}

/**
 * A usable row: its tick and its rank among rows of the same (stock, minute) that follow each other —
 * the higher rank wins (TSETMC: the later hEven, the price at the minute; bourse CSV: the later line).
 */
export type RowResult = { ok: true; tick: PriceTick; rank: number } | { ok: false; reason: string };

export interface RowReader {
  format: RowFormat;
  /** Whether the file's first line is a header (CSV), not a row. */
  hasHeader: boolean;
  parse(text: string, line: number): RowResult;
}

/** The file cannot be read as any format (a header naming an unknown or missing column): nothing is imported. */
export class ImportFormatError extends Error {}

// ---------------------------------------------------------------------------------------------------

export const NUMBER = /^\d+(?:\.\d+)?$/;

export const field = (f: string[], i: number | undefined): string | undefined =>
  i === undefined ? undefined : f[i].trim();

export function optionalPrice(
  f: string[],
  i: number | undefined,
  name: string,
  price: number,
): number | string {
  const v = field(f, i);
  return v === undefined || v === '' ? price : positiveInt(v, name);
}

export function optionalCount(f: string[], i: number | undefined, name: string): number | string {
  const v = field(f, i);
  return v === undefined || v === '' ? 0 : countOf(v, name);
}
export const bad = (reason: string): RowResult => ({ ok: false, reason });

export const WHOLE = /^\d+(?:\.0+)?$/;

export function positiveInt(text: string, name: string): number | string {
  const n = Number(text);
  if (!(n > 0) || !Number.isSafeInteger(n) || !WHOLE.test(text))
    return `${name} "${text}" is not a positive whole number of rials`;
  return n;
}

export function countOf(text: string, name: string): number | string {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || !WHOLE.test(text)) return `${name} "${text}" is not a whole number ≥ 0`;
  return n;
}

export function ymd(n: number): { y: number; mo: number; d: number } | string {
  const y = Math.floor(n / 10_000);
  const mo = Math.floor(n / 100) % 100;
  const d = n % 100;
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (!Number.isInteger(n) || y < 1990 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d)
    return `dEven ${n} is not a date yyyymmdd`;
  return { y, mo, d };
}

export function hms(n: number): { h: number; m: number; s: number } | string {
  const h = Math.floor(n / 10_000);
  const m = Math.floor(n / 100) % 100;
  const s = n % 100;
  if (!Number.isInteger(n) || h > 23 || m > 59 || s > 59) return `hEven ${n} is not a time HHMMSS`;
  return { h, m, s };
}

/** Maps each known column to its position; an unknown or repeated column stops the import. */
export function columnIndex<C extends string>(
  names: string[],
  known: readonly C[],
  ignored: readonly string[],
  what: string,
): Partial<Record<C, number>> {
  const index: Partial<Record<C, number>> = {};
  names.forEach((name, i) => {
    const c = known.find((k) => k.toLowerCase() === name.toLowerCase());
    if (c === undefined) {
      if (ignored.some((x) => x.toLowerCase() === name.toLowerCase())) return;
      throw new ImportFormatError(
        `the header's column ${i + 1} "${name}" is not a ${what} column (known: ${known.join(', ')})`,
      );
    }
    if (index[c] !== undefined) throw new ImportFormatError(`the header names "${name}" twice`);
    index[c] = i;
  });
  return index;
}

// The fields in the schema's order: the JSON the consumer stores is what a live tick's would be.
export function tick(
  stockId: string,
  minute: string,
  price: number,
  last: number,
  open: number,
  low: number,
  high: number,
  yesterday: number,
  trades: number,
  volume: number,
  value: number,
  source: Source,
  fetchedAt: string,
): PriceTick {
  return {
    stockId,
    minute,
    price,
    last,
    open,
    low,
    high,
    yesterday,
    trades,
    volume,
    value,
    source,
    fetchedAt,
  };
}
