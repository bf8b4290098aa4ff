// Pure price logic, no services: the simulated source and the market calendar.
import { loadConfig } from '../../lib/infra/config';
import {
  isMarketMinute,
  marketHours,
  priceScheduleSpec,
  sessionCalendars,
} from '../../lib/prices/market-calendar';
import {
  createSimulatedSource,
  roundToTick,
  simulatedTick,
  tickSize,
} from '../../lib/prices/sources/simulated';
import { priceTickSchema, type PriceTick } from '../../lib/contracts/price-tick';
import { parseTickMessage } from '../../lib/prices/ingest/parse';

const t0 = Date.UTC(2025, 9, 8, 5, 30);
const at = (i: number) => new Date(t0 + i * 60_000);
const DEMO = ['778253364357513', '44891482026867833', '46348559193224090', '35425587644337450'];

describe('simulated source', () => {
  it('is a pure function of (stock, minute): fetched late, it yields what it yielded on time', async () => {
    const a = simulatedTick(DEMO[1], at(7), new Date(0));
    const b = simulatedTick(DEMO[1], new Date(at(7).getTime() + 59_999), new Date(0)); // any instant in the minute
    expect(b).toEqual(a);
    const [c] = await createSimulatedSource().pricesAt([DEMO[1]], at(7));
    expect({ ...c, fetchedAt: a.fetchedAt }).toEqual(a);
  });

  it('gives valid ticks: integer rials on TSE-like steps, low ≤ open/last/price ≤ high', () => {
    for (const id of DEMO) {
      for (let i = 0; i < 2_000; i += 7) {
        const t = simulatedTick(id, at(i));
        expect(priceTickSchema.parse(t)).toEqual(t);
        for (const p of [t.price, t.last, t.open]) {
          expect(p % tickSize(p)).toBe(0);
          expect(t.low).toBeLessThanOrEqual(p);
          expect(t.high).toBeGreaterThanOrEqual(p);
        }
      }
    }
  });

  it('moves realistically: bounded per-minute change, different stocks differ, demo stocks near their prices', () => {
    for (const id of DEMO) {
      let prev = simulatedTick(id, at(0)).last;
      for (let i = 1; i < 3 * 1_440; i++) {
        const last = simulatedTick(id, at(i)).last;
        expect(Math.abs(last / prev - 1)).toBeLessThan(0.006 + tickSize(prev) / prev);
        prev = last;
      }
    }
    expect(new Set(DEMO.map((id) => simulatedTick(id, at(0)).price)).size).toBe(4);
    const saipa = simulatedTick('44891482026867833', at(0)).price;
    expect(saipa).toBeGreaterThan(2_850 * 0.5);
    expect(saipa).toBeLessThan(2_850 * 1.5);
  });

  it('serves hundreds of stocks at once, waiting on nothing', async () => {
    const ids = Array.from({ length: 700 }, (_, i) => String(100_000_000_000_000 + i * 7_919));
    // On a fake clock that never moves: an answer that waited on any timer (a per-stock pause, a
    // rate limit) would still be pending here.
    jest.useFakeTimers();
    try {
      let ticks: PriceTick[] | undefined;
      void createSimulatedSource()
        .pricesAt(ids, at(600))
        .then((t) => (ticks = t));
      await jest.advanceTimersByTimeAsync(0);
      expect(ticks).toHaveLength(700);
      expect(new Set(ticks!.map((t) => t.stockId)).size).toBe(700);
    } finally {
      jest.useRealTimers();
    }
  });

  it('rounds to the step of the price band', () => {
    expect([roundToTick(9_999.4), roundToTick(12_342), roundToTick(51_236)]).toEqual([9_999, 12_340, 51_240]);
  });
});

describe('market calendar', () => {
  const tse = marketHours(loadConfig({ PRICE_SOURCE: 'tsetmc' }));

  it('the simulated source is scheduled every minute', () => {
    expect(priceScheduleSpec(loadConfig({}))).toEqual({ intervals: [{ every: '1m' }] });
  });

  it('the TSETMC source follows the TSE session, Sat–Wed 09:00–12:30 Asia/Tehran', () => {
    const days = ['SATURDAY', 'SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY'];
    expect(priceScheduleSpec(loadConfig({ PRICE_SOURCE: 'tsetmc' }))).toEqual({
      timezone: 'Asia/Tehran',
      calendars: [
        { dayOfWeek: days, hour: 9, minute: { start: 0, end: 59 } },
        { dayOfWeek: days, hour: { start: 10, end: 11 }, minute: '*' },
        { dayOfWeek: days, hour: 12, minute: { start: 0, end: 30 } },
      ],
    });
  });

  it('session hours are configuration', () => {
    expect(sessionCalendars({ ...tse, open: '09:15', close: '09:45' })).toEqual([
      { dayOfWeek: expect.any(Array), hour: 9, minute: { start: 15, end: 45 } },
    ]);
    expect(sessionCalendars({ ...tse, open: '08:45', close: '09:10' })).toHaveLength(2);
  });

  it.each([
    ['2025-10-08T05:30:00Z', true], // Wednesday 09:00 Tehran
    ['2025-10-08T09:00:00Z', true], // 12:30, the closing minute
    ['2025-10-08T09:01:00Z', false], // 12:31
    ['2025-10-08T05:29:00Z', false], // 08:59
    ['2025-10-09T06:00:00Z', false], // Thursday
    ['2025-10-10T06:00:00Z', false], // Friday
    ['2025-10-11T06:00:00Z', true], // Saturday
  ])('%s in session: %s', (iso, expected) => {
    expect(isMarketMinute(tse, new Date(iso))).toBe(expected);
  });
});

describe('price message parsing', () => {
  const tick = simulatedTick(DEMO[1], at(3), new Date(0));
  const msg = (value: unknown) => ({
    key: Buffer.from(DEMO[1]),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  });

  it("stores the publisher's message as it came, without stringifying it again", () => {
    const text = JSON.stringify(tick);
    expect(parseTickMessage(msg(text))).toEqual({ ok: true, tick, json: text });
  });

  it('stores a normalised tick when the minute is not canonical or fields are unknown', () => {
    const loose = { ...tick, minute: tick.minute.replace('.000Z', 'Z') };
    const a = parseTickMessage(msg(loose));
    expect(a.ok && a.tick).toEqual(tick);
    expect(a.ok && JSON.parse(a.json)).toEqual(tick);
    const extra = parseTickMessage(msg({ ...tick, note: 'not a tick field' }));
    expect(extra.ok && extra.json).not.toContain('note');
    expect(extra.ok && JSON.parse(extra.json)).toEqual(tick);
  });
});
