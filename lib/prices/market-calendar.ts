// The market calendar: which minutes the price schedule fires on. With the TSETMC source, the TSE
// session (configurable days and hours in MARKET_TIMEZONE); with the simulated source, every minute,
// so a demo works at any hour.
import type { CalendarSpec, DayOfWeek, ScheduleSpec } from '@temporalio/client';
import type { Config } from '../infra/config';

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

/** Whether `minute` falls in the session: the rule sessionCalendars encodes, spelled out for tests and operators. */
export function isMarketMinute(hours: MarketHours, minute: Date): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: hours.timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(minute);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase() as Weekday;
  const hhmm = `${get('hour')}:${get('minute')}`;
  return hours.days.includes(day) && hhmm >= hours.open && hhmm <= hours.close;
}
