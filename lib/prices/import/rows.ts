// The rows `npm run prices:import` reads: bourse's own CSV of minute ticks, and TSETMC's history rows
// (as CSV with TSETMC's field names, or one JSON object a line, as the API answers them). Each row
// becomes the same PriceTick the live publisher sends, or the reason it cannot (the report's line).
// Pure: no I/O, so every rule here is a unit test.
import { STOCK_ID } from '../../contracts/price-tick';
import { MINUTE_MS, parseRfc3339 } from '../../contracts/time';
import { splitCsv } from './csv';

export { splitCsv } from './csv';
export { tehranToUtc } from './tehran-time';
export {
  ImportFormatError,
  type RowDefaults,
  type RowFormat,
  type RowReader,
  type RowResult,
} from './row-fields';
export { TSETMC_COLUMNS } from './tsetmc-rows';
import {
  type RowDefaults,
  type RowReader,
  ImportFormatError,
  NUMBER,
  bad,
  columnIndex,
  tick,
  field,
  positiveInt,
  optionalPrice,
  optionalCount,
} from './row-fields';
import { tsetmcCsvReader, tsetmcJsonReader } from './tsetmc-rows';

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
