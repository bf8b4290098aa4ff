// The simulated price source: a deterministic random walk, a pure function of (stock id, minute).
// A minute fetched late (catch-up, backfill, a retried activity) yields exactly what it would have
// yielded on time, so tests can assert values and replays are harmless.
import type { PriceTick } from '../../contracts/price-tick';
import { MINUTE_MS, type PriceSource } from './source';

/** The demo stocks start near their prices in the original challenge; others get a hashed base. */
const BASE_PRICES: Readonly<Record<string, number>> = {
  '778253364357513': 4_850, // بانک ملت
  '44891482026867833': 2_850, // سایپا
  '46348559193224090': 5_640, // فولاد مبارکه
};

/**
 * Octaves of smooth value noise on the log price: (period in minutes, amplitude). The short ones make
 * the minute-to-minute jitter, the long ones the trend. The bound on one minute's move follows from
 * them: |Δ log p| ≤ 2·0.0015 + Σ amp·3/period ≈ 0.4 %, well inside TSE's ±5 % daily band.
 */
const OCTAVES: ReadonlyArray<readonly [number, number]> = [
  [1, 0.0015],
  [15, 0.004],
  [240, 0.012],
  [4_320, 0.04],
  [86_400, 0.15],
];
/** The smoother closing (weighted) price leaves out the two fastest octaves. */
const CLOSING_FROM_OCTAVE = 2;

/** TSE-like minimum price steps: 1 rial below 10,000, 5 below 50,000, 10 above. */
export function tickSize(price: number): number {
  return price < 10_000 ? 1 : price < 50_000 ? 5 : 10;
}

export function roundToTick(price: number): number {
  const step = tickSize(price);
  return Math.max(step, Math.round(price / step) * step);
}

/** Asia/Tehran is UTC+03:30 all year since 2022: a simulated "day" runs from Tehran midnight. */
const TEHRAN_OFFSET_MS = 210 * MINUTE_MS;
const DAY_MINUTES = 1_440;
/** How often low/high are sampled through the day (a pure function cannot keep a running min). */
const LOW_HIGH_SAMPLE_MINUTES = 30;

function hashString(s: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ c;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [-1, 1), from a seed and two integers. */
const noise = (seed: number, octave: number, index: number) => (mix(seed, octave, index) / 2 ** 32) * 2 - 1;
/** Uniform in [0, 1). */
const unit = (seed: number, salt: number) => mix(seed, 0x5eed, salt) / 2 ** 32;

interface Stock {
  seed: number;
  base: number;
  tradesPerMinute: number;
  lot: number;
}

function stockOf(stockId: string): Stock {
  const seed = hashString(stockId);
  const base = BASE_PRICES[stockId] ?? Math.round(1_000 * 60 ** unit(seed, 1)); // 1,000–60,000 rials
  return {
    seed,
    base,
    tradesPerMinute: 0.5 + 4.5 * unit(seed, 2),
    lot: 500 + Math.floor(4_500 * unit(seed, 3)),
  };
}

/** log(price / base) at an epoch minute, from the octaves at and after `fromOctave`. */
function logLevel(stock: Stock, epochMinute: number, fromOctave = 0): number {
  let sum = 0;
  for (let o = fromOctave; o < OCTAVES.length; o++) {
    const [period, amp] = OCTAVES[o];
    const i = Math.floor(epochMinute / period);
    const f = (epochMinute - i * period) / period;
    const s = f * f * (3 - 2 * f);
    const a = noise(stock.seed, o, i);
    const b = noise(stock.seed, o, i + 1);
    sum += amp * (a + (b - a) * s);
  }
  return sum;
}

const lastAt = (stock: Stock, m: number) => roundToTick(stock.base * Math.exp(logLevel(stock, m)));
const closingAt = (stock: Stock, m: number) =>
  roundToTick(stock.base * Math.exp(logLevel(stock, m, CLOSING_FROM_OCTAVE)));

/** The simulated tick of one stock at one minute (fetchedAt aside, a pure function). */
export function simulatedTick(stockId: string, minute: Date, fetchedAt: Date = new Date()): PriceTick {
  const stock = stockOf(stockId);
  const m = Math.floor(minute.getTime() / MINUTE_MS);
  const tehranMinute = m + TEHRAN_OFFSET_MS / MINUTE_MS;
  const dayStart = m - (((tehranMinute % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES);
  const minutesIntoDay = m - dayStart;
  const last = lastAt(stock, m);
  const price = closingAt(stock, m);
  const open = lastAt(stock, dayStart);
  let low = Math.min(open, last, price);
  let high = Math.max(open, last, price);
  for (let s = dayStart + LOW_HIGH_SAMPLE_MINUTES; s < m; s += LOW_HIGH_SAMPLE_MINUTES) {
    const p = lastAt(stock, s);
    if (p < low) low = p;
    if (p > high) high = p;
  }
  const trades = Math.floor((minutesIntoDay + 1) * stock.tradesPerMinute);
  const volume = trades * stock.lot;
  return {
    stockId,
    minute: new Date(m * MINUTE_MS).toISOString(),
    price,
    last,
    open,
    low,
    high,
    yesterday: closingAt(stock, dayStart - 1),
    trades,
    volume,
    value: volume * price,
    source: 'simulated',
    fetchedAt: fetchedAt.toISOString(),
  };
}

export function createSimulatedSource(): PriceSource {
  return {
    name: 'simulated',
    async pricesAt(stockIds, minute) {
      const fetchedAt = new Date();
      return stockIds.map((id) => simulatedTick(id, minute, fetchedAt));
    },
  };
}
