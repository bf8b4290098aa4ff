// TSETMC's history rows for `npm run prices:import`: as CSV with TSETMC's field names, or one JSON
// object a line, as the API answers them (tsetmc-api.md). Pure: no I/O.
import { STOCK_ID } from '../../contracts/price-tick';
import {
  type RowDefaults,
  type RowResult,
  type RowReader,
  ImportFormatError,
  NUMBER,
  bad,
  ymd,
  hms,
  columnIndex,
  tick,
} from './row-fields';
import { tehranToUtc } from './tehran-time';
import { splitCsv } from './csv';

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
export const TSETMC_IGNORED = ['id', 'iClose', 'yClose', 'last', 'priceChange'];

// ---------------------------------------------------------------------------------------------------
// TSETMC history rows: GetClosingPriceHistory (intraday: dEven 0, insCode null; one row per change)
// and GetClosingPriceDaily (one row a day, with open/low/high/yesterday). A row is the price from its
// hEven on, so it is the tick of the first minute at or after hEven (the price at minute M is the
// newest row with hEven ≤ M): 09:00:33 is the 09:01 tick, 09:01:00 the 09:01 tick.

export type TsetmcField = (typeof TSETMC_COLUMNS)[number];
export type TsetmcRow = Partial<Record<TsetmcField, unknown>>;

export function tsetmcCsvReader(names: string[], defaults: RowDefaults): RowReader {
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
        if (i !== undefined) row[c] = f[i].trim();
      }
      return fromRow(row);
    },
  };
}

export function tsetmcJsonReader(defaults: RowDefaults): RowReader {
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
      return fromRow(row);
    },
  };
}

export function tsetmcTick(defaults: RowDefaults): (row: TsetmcRow) => RowResult {
  const localToUtc = tehranToUtc(defaults.timezone);
  return (row) => {
    const code = row.insCode;
    const insCode =
      code === undefined || code === null
        ? ''
        : typeof code === 'string' || typeof code === 'number'
          ? String(code).trim()
          : JSON.stringify(code); // not an instrument code: refused below, as written
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
