// Local wall time of a time zone → UTC, for TSETMC's history rows (Tehran time, with the offset of
// each row's own day). Pure.
import { MINUTE_MS } from '../../contracts/time';

/**
 * Local wall time of `timezone` → UTC epoch ms, with the zone's offset of that date and hour (Iran had
 * daylight saving until 2022: history before it needs the offset of its own day, not today's +03:30).
 * The offset is remembered per (date, hour): one Intl lookup per hour of data, not per row.
 */
export function tehranToUtc(
  timezone: string,
): (y: number, mo: number, d: number, minuteOfDay: number) => number {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  });
  const offsetAt = (utcMs: number): number => {
    const p = Object.fromEntries(fmt.formatToParts(utcMs).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(utcMs / MINUTE_MS) * MINUTE_MS;
  };
  let lastKey = NaN;
  let lastOffset = 0;
  return (y, mo, d, minuteOfDay) => {
    const wall = Date.UTC(y, mo - 1, d) + minuteOfDay * MINUTE_MS;
    const key = Math.floor(wall / 3_600_000);
    if (key !== lastKey) {
      // Two rounds: the offset at (wall − a guess) is the offset of the instant itself, except within
      // an hour of a change.
      const first = offsetAt(wall - 12_600_000);
      lastOffset = offsetAt(wall - first);
      lastKey = key;
    }
    return wall - lastOffset;
  };
}
