// The rows `npm run prices:import` reads: bourse's own CSV of minute ticks, and TSETMC's history rows
// (as CSV with TSETMC's field names, or one JSON object a line, as the API answers them). Each row
// becomes the same PriceTick the live publisher sends, or the reason it cannot (the report's line).
// Pure: no I/O, so every rule here is a unit test.
import { STOCK_ID, type PriceTick } from '../../contracts/price-tick';
import { MINUTE_MS, parseRfc3339 } from '../../contracts/time';
import { splitCsv } from './csv';
import { tehranToUtc } from './tehran-time';

export { splitCsv } from './csv';
export { tehranToUtc } from './tehran-time';

export type RowFormat = 'bourse-csv' | 'tsetmc-csv' | 'tsetmc-jsonl';
type Source = PriceTick['source'];

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

export const BOURSE_COLUMNS = [
  'stockId',
  'minute',
  'price',
  'last',
  'open',
  'low',
  'high',
  'yesterday',
  'trades',
  'volume',
  'value',
  'source',
  'fetchedAt',
] as const;
const BOURSE_REQUIRED = ['stockId', 'minute', 'price'] as const;

/** TSETMC's history fields the tick is made of; the other fields of its rows are accepted and ignored. */
export const TSETMC_COLUMNS = [
  'insCode',
  'dEven',
  'hEven',
  'pClosing',
  'pDrCotVal',
  'zTotTran',
  'qTotTran5J',
  'qTotCap',
  'priceFirst',
  'priceMin',
  'priceMax',
  'priceYesterday',
] as const;
const TSETMC_IGNORED = ['id', 'iClose', 'yClose', 'last', 'priceChange'];

/** Reads the file's first line and answers how to read every line. */
export function rowReaderFor(firstLine: string, defaults: RowDefaults): RowReader {
  const head = firstLine.replace(/^\uFEFF/, '').trim();
  if (head.startsWith('{')) return tsetmcJsonReader(defaults);
  const names = splitCsv(head).map((n) => n.trim());
  const lower = names.map((n) => n.toLowerCase());
  if (lower.includes('heven')) return tsetmcCsvReader(names, defaults);
  return bourseCsvReader(names, defaults);
}

// ---------------------------------------------------------------------------------------------------
// Bourse CSV: a header naming the columns (any order), then one tick a line.

function bourseCsvReader(names: string[], defaults: RowDefaults): RowReader {
  const index = columnIndex(names, BOURSE_COLUMNS, [], 'bourse CSV');
  for (const need of BOURSE_REQUIRED) {
    if (index[need] === undefined) {
      throw new ImportFormatError(
        `the header has no "${need}" column (bourse CSV needs ${BOURSE_REQUIRED.join(', ')}; ` +
          `TSETMC rows need hEven and pClosing), got: ${names.join(',')}`,
      );
    }
  }
  const width = names.length;
  let lastMinuteText = '';
  let lastMinute = '';
  /** The canonical ISO minute, or "!" and the problem. */
  const minuteOf = (text: string): string => {
    if (text === lastMinuteText) return lastMinute;
    const at = parseRfc3339(text);
    const ms = at.ok ? at.date.getTime() : NaN;
    lastMinute = !at.ok
      ? `!${at.problem}`
      : ms % MINUTE_MS !== 0
        ? '!is not on the minute grid (seconds and fraction must be 0)'
        : ms > defaults.latestMinuteMs
          ? '!is in the future'
          : at.date.toISOString();
    lastMinuteText = text;
    return lastMinute;
  };
  return {
    format: 'bourse-csv',
    hasHeader: true,
    parse(text, line) {
      // No closure per row (and one parse per distinct minute text: files are minute after minute).
      const f = splitCsv(text);
      if (f.length !== width) return bad(`has ${f.length} fields, the header has ${width}`);
      const stockId = field(f, index.stockId)!;
      if (!STOCK_ID.test(stockId)) return bad(`stockId "${stockId}" is not a 15–17 digit instrument code`);
      const minuteText = field(f, index.minute)!;
      const minute = minuteOf(minuteText);
      if (minute.startsWith('!')) return bad(`minute "${minuteText}" ${minute.slice(1)}`);
      const price = positiveInt(field(f, index.price)!, 'price');
      if (typeof price === 'string') return bad(price);
      const last = optionalPrice(f, index.last, 'last', price);
      if (typeof last === 'string') return bad(last);
      const open = optionalPrice(f, index.open, 'open', price);
      if (typeof open === 'string') return bad(open);
      const low = optionalPrice(f, index.low, 'low', price);
      if (typeof low === 'string') return bad(low);
      const high = optionalPrice(f, index.high, 'high', price);
      if (typeof high === 'string') return bad(high);
      const yesterday = optionalPrice(f, index.yesterday, 'yesterday', price);
      if (typeof yesterday === 'string') return bad(yesterday);
      const trades = optionalCount(f, index.trades, 'trades');
      if (typeof trades === 'string') return bad(trades);
      const volume = optionalCount(f, index.volume, 'volume');
      if (typeof volume === 'string') return bad(volume);
      const valueText = field(f, index.value);
      let value = 0;
      if (valueText !== undefined && valueText !== '') {
        if (!NUMBER.test(valueText)) return bad(`value "${valueText}" is not a number ≥ 0`);
        value = Number(valueText);
      }
      const sourceText = field(f, index.source);
      const source = sourceText === undefined || sourceText === '' ? defaults.source : sourceText;
      if (source !== 'simulated' && source !== 'tsetmc')
        return bad(`source "${sourceText}" is not one of simulated, tsetmc`);
      let fetchedAt = minute;
      const fetchedText = field(f, index.fetchedAt);
      if (fetchedText !== undefined && fetchedText !== '') {
        const f2 = parseRfc3339(fetchedText);
        if (!f2.ok) return bad(`fetchedAt "${fetchedText}" ${f2.problem}`);
        fetchedAt = f2.date.toISOString();
      }
      const t = tick(
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
      );
      return { ok: true, rank: line, tick: t };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// TSETMC history rows: GetClosingPriceHistory (intraday: dEven 0, insCode null; one row per change)
// and GetClosingPriceDaily (one row a day, with open/low/high/yesterday). A row is the price from its
// hEven on, so it is the tick of the first minute at or after hEven (the price at minute M is the
// newest row with hEven ≤ M): 09:00:33 is the 09:01 tick, 09:01:00 the 09:01 tick.

type TsetmcField = (typeof TSETMC_COLUMNS)[number];
type TsetmcRow = Partial<Record<TsetmcField, unknown>>;

function tsetmcCsvReader(names: string[], defaults: RowDefaults): RowReader {
  const index = columnIndex(names, TSETMC_COLUMNS, TSETMC_IGNORED, 'TSETMC CSV');
  for (const need of ['hEven', 'pClosing'] as const) {
    if (index[need] === undefined)
      throw new ImportFormatError(`the header has no "${need}" column (TSETMC rows need hEven and pClosing)`);
  }
  if (index.insCode === undefined && defaults.stockId === undefined)
    throw new ImportFormatError('TSETMC rows without an insCode column need --stock <insCode>');
  if (index.dEven === undefined && defaults.date === undefined)
    throw new ImportFormatError('TSETMC rows without a dEven column need --date <yyyymmdd>');
  const width = names.length;
  const fromRow = tsetmcTick(defaults);
  return {
    format: 'tsetmc-csv',
    hasHeader: true,
    parse(text) {
      const f = splitCsv(text);
      if (f.length !== width) return bad(`has ${f.length} fields, the header has ${width}`);
      const row: TsetmcRow = {};
      for (const c of TSETMC_COLUMNS) {
        const i = index[c];
        if (i !== undefined) row[c] = f[i]!.trim();
      }
      return fromRow(row);
    },
  };
}

function tsetmcJsonReader(defaults: RowDefaults): RowReader {
  const fromRow = tsetmcTick(defaults);
  return {
    format: 'tsetmc-jsonl',
    hasHeader: false,
    parse(text) {
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch (err) {
        return bad(`is not JSON: ${(err as Error).message}`);
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row))
        return bad('is not a JSON object (one TSETMC history row a line)');
      return fromRow(row as TsetmcRow);
    },
  };
}

function tsetmcTick(defaults: RowDefaults): (row: TsetmcRow) => RowResult {
  const localToUtc = tehranToUtc(defaults.timezone);
  return (row) => {
    const insCode = row.insCode === undefined || row.insCode === null ? '' : String(row.insCode).trim();
    const stockId = insCode === '' || insCode === '0' ? defaults.stockId : insCode;
    if (stockId === undefined) return bad('insCode is empty and no --stock was given');
    if (!STOCK_ID.test(stockId)) return bad(`insCode "${stockId}" is not a 15–17 digit instrument code`);
    const num = (c: TsetmcField): number | string | undefined => {
      const v = row[c];
      if (v === undefined || v === null || v === '') return undefined;
      const n = typeof v === 'number' ? v : typeof v === 'string' && NUMBER.test(v) ? Number(v) : NaN;
      return Number.isFinite(n) && n >= 0 ? n : `${c} ${JSON.stringify(v)} is not a number ≥ 0`;
    };
    const fields: Partial<Record<TsetmcField, number>> = {};
    for (const c of TSETMC_COLUMNS) {
      if (c === 'insCode') continue;
      const n = num(c);
      if (typeof n === 'string') return bad(n);
      if (n !== undefined) fields[c] = n;
    }
    const day = fields.dEven === undefined || fields.dEven === 0 ? defaults.date : fields.dEven;
    if (day === undefined) return bad('dEven is 0 or empty and no --date was given');
    const hEven = fields.hEven;
    if (hEven === undefined) return bad('hEven is empty');
    const date = ymd(day);
    if (typeof date === 'string') return bad(date);
    const time = hms(hEven);
    if (typeof time === 'string') return bad(time);
    const seconds = time.h * 3600 + time.m * 60 + time.s;
    const minuteOfDay = Math.ceil(seconds / 60);
    const ms = localToUtc(date.y, date.mo, date.d, minuteOfDay);
    if (ms > defaults.latestMinuteMs) return bad(`dEven ${day} hEven ${hEven} is in the future`);
    const pClosing = fields.pClosing;
    if (pClosing === undefined || Math.round(pClosing) <= 0)
      return bad('pClosing is 0: the row has no price');
    const price = Math.round(pClosing);
    const orPrice = (x: number | undefined) => (x !== undefined && Math.round(x) > 0 ? Math.round(x) : price);
    const minute = new Date(ms).toISOString();
    return {
      ok: true,
      rank: seconds,
      tick: tick(
        stockId,
        minute,
        price,
        orPrice(fields.pDrCotVal),
        orPrice(fields.priceFirst),
        orPrice(fields.priceMin),
        orPrice(fields.priceMax),
        orPrice(fields.priceYesterday),
        Math.round(fields.zTotTran ?? 0),
        Math.round(fields.qTotTran5J ?? 0),
        fields.qTotCap ?? 0,
        'tsetmc',
        minute,
      ),
    };
  };
}

// ---------------------------------------------------------------------------------------------------

const NUMBER = /^\d+(?:\.\d+)?$/;

const field = (f: string[], i: number | undefined): string | undefined =>
  i === undefined ? undefined : f[i]!.trim();

function optionalPrice(f: string[], i: number | undefined, name: string, price: number): number | string {
  const v = field(f, i);
  return v === undefined || v === '' ? price : positiveInt(v, name);
}

function optionalCount(f: string[], i: number | undefined, name: string): number | string {
  const v = field(f, i);
  return v === undefined || v === '' ? 0 : countOf(v, name);
}
const bad = (reason: string): RowResult => ({ ok: false, reason });

const WHOLE = /^\d+(?:\.0+)?$/;

function positiveInt(text: string, name: string): number | string {
  const n = Number(text);
  if (!(n > 0) || !Number.isSafeInteger(n) || !WHOLE.test(text))
    return `${name} "${text}" is not a positive whole number of rials`;
  return n;
}

function countOf(text: string, name: string): number | string {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || !WHOLE.test(text)) return `${name} "${text}" is not a whole number ≥ 0`;
  return n;
}

function ymd(n: number): { y: number; mo: number; d: number } | string {
  const y = Math.floor(n / 10_000);
  const mo = Math.floor(n / 100) % 100;
  const d = n % 100;
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (!Number.isInteger(n) || y < 1990 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d)
    return `dEven ${n} is not a date yyyymmdd`;
  return { y, mo, d };
}

function hms(n: number): { h: number; m: number; s: number } | string {
  const h = Math.floor(n / 10_000);
  const m = Math.floor(n / 100) % 100;
  const s = n % 100;
  if (!Number.isInteger(n) || h > 23 || m > 59 || s > 59) return `hEven ${n} is not a time HHMMSS`;
  return { h, m, s };
}

/** Maps each known column to its position; an unknown or repeated column stops the import. */
function columnIndex<C extends string>(
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
function tick(
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
