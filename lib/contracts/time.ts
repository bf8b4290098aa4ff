// Time on the wire: the minute grid prices live on, and RFC 3339 timestamps read strictly.
// Sandbox-safe (workflows import it): no Node built-ins, no I/O.

export const MINUTE_MS = 60_000;

/** The minute `t` falls in, as a Date at :00.000. */
export function floorToMinute(t: Date | number): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS);
}

export const isWholeMinute = (ms: number): boolean => Number.isFinite(ms) && ms % MINUTE_MS === 0;

/**
 * `Date.parse` that remembers the last text it parsed. A batch of ticks comes minute after minute, the
 * same minute text for every stock in a row, and `Date.parse` costs ~0.2 µs: the consumer parsed each
 * stored tick's minute three times (validation, the history's score, the freshness metric).
 */
export function lastParsed(): (text: string) => number {
  let lastText: string | undefined;
  let lastMs = NaN;
  return (text) => {
    if (text !== lastText) {
      lastText = text;
      lastMs = Date.parse(text);
    }
    return lastMs;
  };
}

// RFC 3339 §5.6 date-time: full-date "T" full-time, T and Z in either case, any number of fraction
// digits, a numeric offset or Z. Seconds are required (RFC 3339 has no minute-only form).
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const daysIn = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * Parses an RFC 3339 date-time completely: every field in its range (no 2026-02-30, no 24:00:00, no
 * +24:00), so nothing is silently moved to another moment. Fractions beyond milliseconds are cut.
 * Returns the problem in words when the text is not one, so the caller can name its field.
 */
export function parseRfc3339(text: string): { ok: true; date: Date } | { ok: false; problem: string } {
  const m = RFC3339.exec(text);
  if (!m) {
    return { ok: false, problem: 'is not an RFC 3339 date-time such as 2026-11-22T07:00:00Z' };
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return { ok: false, problem: `has no month ${m[2]}` };
  if (day < 1 || day > daysIn(year, month)) {
    return { ok: false, problem: `has no day ${m[3]} in ${m[1]}-${m[2]}` };
  }
  if (hour > 23 || minute > 59) return { ok: false, problem: `has no time ${m[4]}:${m[5]}` };
  if (second > 59) return { ok: false, problem: `second ${m[6]}: leap seconds are not supported` };
  let offsetMin = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return { ok: false, problem: `has no offset ${m[9]}${m[10]}:${m[11]}` };
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * MINUTE_MS;
  // Date.UTC maps years 0–99 to 1900–1999: set the year explicitly.
  const date = new Date(utc);
  if (year < 100) date.setUTCFullYear(date.getUTCFullYear() - 1900);
  if (Number.isNaN(date.getTime())) return { ok: false, problem: 'is out of range' };
  return { ok: true, date };
}
