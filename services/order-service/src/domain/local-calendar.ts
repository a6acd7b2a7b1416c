// Calendar periods (days, ISO weeks, months) of an IANA time zone as UTC instants, from the
// runtime's time zone data (Intl); no I/O.

export type Interval = 'day' | 'week' | 'month';

export const DAY_MS = 86_400_000;

/** A local calendar date as whole days since 1970-01-01 (the same count UTC dates use). */
export type DayNumber = number;

const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // bounded: only names Intl accepted get here, but a caller could send many spellings of them
    if (formats.size < 1000) formats.set(tz, f);
  }
  return f;
}

/** An IANA zone name the runtime knows (Intl accepts it), e.g. "Europe/Berlin", "Asia/Kolkata", "UTC". */
export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false;
  try {
    formatOf(tz);
    return true;
  } catch {
    return false;
  }
}

const WALL = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/** The wall-clock time of instant t in tz, read as if it were UTC (to whole seconds). */
function wallClock(t: number, tz: string): number {
  // format() and a pattern: several times cheaper than formatToParts
  const m = WALL.exec(formatOf(tz).format(t))!;
  return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** The local date of instant t in tz. */
export function localDayOf(t: number, tz: string): DayNumber {
  return Math.floor(wallClock(t, tz) / DAY_MS);
}

/**
 * The first instant of local date `day` in tz: the earliest instant whose local date is `day` or
 * later (where midnight is skipped by a clock change, the day begins when the clock resumes).
 */
export function startOfLocalDay(day: DayNumber, tz: string): number {
  const wall = day * DAY_MS;
  if (tz === 'UTC') return wall;
  const second = (t: number) => t - (((t % 1000) + 1000) % 1000);
  // two rounds of "wall minus the offset there" find midnight wherever the offset is the same on both sides
  let t = wall - (wallClock(wall, tz) - wall);
  t = wall - (wallClock(t, tz) - second(t));
  if (localDayOf(t, tz) >= day && localDayOf(t - 1, tz) < day) return t;
  // a clock change near midnight: search the instants around it (offsets stay within ±26 h)
  let lo = wall - 27 * 3_600_000;
  let hi = wall + 27 * 3_600_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDayOf(mid, tz) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * startOfLocalDay for each of `days` (ascending): a day's start is first guessed from the one
 * before it at the same offset and kept when the zone reads exactly that midnight there (one zone
 * look-up instead of four: no zone changes its clock twice within a day); across a clock change it
 * is computed afresh.
 */
export function startsOfLocalDays(days: DayNumber[], tz: string): number[] {
  if (tz === 'UTC') return days.map((day) => day * DAY_MS);
  const starts: number[] = [];
  // the wall clock minus the instant at the previous day's start
  let offset = NaN;
  for (const day of days) {
    const guess = day * DAY_MS - offset;
    const kept = !Number.isNaN(guess) && wallClock(guess, tz) === day * DAY_MS;
    const start = kept ? guess : startOfLocalDay(day, tz);
    starts.push(start);
    // a start off the whole seconds (none known) makes the next day's guess afresh
    if (!kept) offset = start % 1000 === 0 ? wallClock(start, tz) - start : NaN;
  }
  return starts;
}

/** The local date a period of `interval` containing `day` begins on (ISO weeks begin on Monday). */
export function periodStart(day: DayNumber, interval: Interval): DayNumber {
  if (interval === 'day') return day;
  // 1970-01-05 (day 4) was a Monday
  if (interval === 'week') return day - ((((day - 4) % 7) + 7) % 7);
  const d = new Date(day * DAY_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS;
}

/** The local date the period after the one beginning on `start` begins on. */
export function nextPeriodStart(start: DayNumber, interval: Interval): DayNumber {
  if (interval === 'day') return start + 1;
  if (interval === 'week') return start + 7;
  const d = new Date(start * DAY_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS;
}

/**
 * The periods covering local dates first…last (inclusive), clipped to them: each begins on a
 * period start or on `first`; null when there would be more than `max`.
 */
export function periodsBetween(first: DayNumber, last: DayNumber, interval: Interval, max: number): Array<{ first: DayNumber; end: DayNumber }> | null {
  const periods: Array<{ first: DayNumber; end: DayNumber }> = [];
  for (let start = first; start <= last; ) {
    if (periods.length === max) return null;
    const end = Math.min(nextPeriodStart(periodStart(start, interval), interval), last + 1);
    periods.push({ first: start, end });
    start = end;
  }
  return periods;
}

/** "2024-05-31" → its day number, or null when it is no such date (2024-02-30). */
export function dayOfDate(text: string): DayNumber | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return Math.floor(date.getTime() / DAY_MS);
}

export function dateOfDay(day: DayNumber): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
