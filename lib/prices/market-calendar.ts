// The market calendar: which minutes the price schedule fires on. With the TSETMC source, the TSE
// session (configurable days and hours in MARKET_TIMEZONE); with the simulated source, every minute,
// so a demo works at any hour.
import type { CalendarSpec, DayOfWeek, ScheduleSpec } from '@temporalio/client';
import type { Config } from '../infra/config';
import { MINUTE_MS } from '../contracts/time';

type Weekday = Config['MARKET_DAYS'][number];
export interface MarketHours {
  timezone: string;
  days: readonly Weekday[];
  /** HH:MM, the first minute of the session. */
  open: string;
  /** HH:MM, the last minute of the session (inclusive). */
  close: string;
}

const DAY_NAMES: Record<Weekday, DayOfWeek> = {
  sun: 'SUNDAY',
  mon: 'MONDAY',
  tue: 'TUESDAY',
  wed: 'WEDNESDAY',
  thu: 'THURSDAY',
  fri: 'FRIDAY',
  sat: 'SATURDAY',
};

export function marketHours(
  cfg: Pick<Config, 'MARKET_TIMEZONE' | 'MARKET_DAYS' | 'MARKET_OPEN' | 'MARKET_CLOSE'>,
): MarketHours {
  return {
    timezone: cfg.MARKET_TIMEZONE,
    days: cfg.MARKET_DAYS,
    open: cfg.MARKET_OPEN,
    close: cfg.MARKET_CLOSE,
  };
}

const hm = (t: string): [number, number] => [Number(t.slice(0, 2)), Number(t.slice(3, 5))];

/** Calendar specs covering every minute of the session, open and close minutes included. */
export function sessionCalendars(hours: MarketHours): CalendarSpec[] {
  const dayOfWeek = hours.days.map((d) => DAY_NAMES[d]);
  const [oh, om] = hm(hours.open);
  const [ch, cm] = hm(hours.close);
  if (oh === ch) return [{ dayOfWeek, hour: oh, minute: { start: om, end: cm } }];
  const specs: CalendarSpec[] = [{ dayOfWeek, hour: oh, minute: { start: om, end: 59 } }];
  if (ch - oh > 1) specs.push({ dayOfWeek, hour: { start: oh + 1, end: ch - 1 }, minute: '*' });
  specs.push({ dayOfWeek, hour: ch, minute: { start: 0, end: cm } });
  return specs;
}

type PriceCalendarConfig = Pick<
  Config,
  'PRICE_SOURCE' | 'MARKET_TIMEZONE' | 'MARKET_DAYS' | 'MARKET_OPEN' | 'MARKET_CLOSE'
>;

/**
 * The session prices are fetched in, for the configured source: the TSE session with `tsetmc`; none
 * (every minute) with `simulated`, so a demo works at any hour. The schedule and backfills both ask here.
 */
export function priceSession(cfg: PriceCalendarConfig): MarketHours | undefined {
  return cfg.PRICE_SOURCE === 'simulated' ? undefined : marketHours(cfg);
}

/** The schedule spec of `price-fetch` for the configured source. */
export function priceScheduleSpec(cfg: PriceCalendarConfig): ScheduleSpec {
  const hours = priceSession(cfg);
  if (!hours) return { intervals: [{ every: '1m' }] };
  return { calendars: sessionCalendars(hours), timezone: hours.timezone };
}

/** Whether the `price-fetch` schedule fires on a minute, for the configured source: what a backfill fetches. */
export function priceMinuteRule(cfg: PriceCalendarConfig): (minute: Date) => boolean {
  const hours = priceSession(cfg);
  return hours ? (minute) => isMarketMinute(hours, minute) : () => true;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Whether `minute` falls in the session: the rule sessionCalendars encodes, spelled out for tests and operators. */
export function isMarketMinute(hours: MarketHours, minute: Date): boolean {
  const parts = formatterFor(hours.timezone).formatToParts(minute);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase() as Weekday;
  const hhmm = `${get('hour')}:${get('minute')}`;
  return hours.days.includes(day) && hhmm >= hours.open && hhmm <= hours.close;
}

/** The first session minute after `after` (within 8 days), or undefined if the calendar has none. */
export function nextMarketOpen(hours: MarketHours, after: Date): Date | undefined {
  let t = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (let i = 0; i < 8 * 1_440; i++, t += MINUTE_MS) {
    if (isMarketMinute(hours, new Date(t))) return new Date(t);
  }
  return undefined;
}

type TradingCalendarConfig = PriceCalendarConfig & Pick<Config, 'MARKET_CALENDAR'>;

/**
 * The session orders are taken in, when the market calendar is on: `on` always, `off` never, `auto`
 * (the default) with the TSETMC source only, so the simulated demo trades around the clock.
 */
export function tradingSession(cfg: TradingCalendarConfig): MarketHours | undefined {
  if (cfg.MARKET_CALENDAR === 'off') return undefined;
  if (cfg.MARKET_CALENDAR === 'on') return marketHours(cfg);
  return priceSession(cfg);
}

/** The local HH:MM and weekday of `t` in `timezone`. */
function localClock(timezone: string, t: Date): { day: Weekday; hhmm: string } {
  const parts = formatterFor(timezone).formatToParts(t);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: get('weekday').toLowerCase() as Weekday, hhmm: `${get('hour')}:${get('minute')}` };
}

/**
 * When a day limit order placed at `at` expires: the end of the session's last minute (`close`, which
 * is inclusive) on the first day of `hours.days` where that is after `at`. Undefined if none within 8 days.
 */
export function sessionCloseAfter(hours: MarketHours, at: Date): Date | undefined {
  let t = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (let i = 0; i < 8 * 1_440; i++, t += MINUTE_MS) {
    const last = localClock(hours.timezone, new Date(t - MINUTE_MS));
    if (last.hhmm === hours.close && hours.days.includes(last.day)) return new Date(t);
  }
  return undefined;
}

/** The first minute of `at`'s day in `timezone` (local midnight). */
export function startOfLocalDay(timezone: string, at: Date): Date {
  const { hhmm } = localClock(timezone, at);
  const minutes = Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  return new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS - minutes * MINUTE_MS);
}
