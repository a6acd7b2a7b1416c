// GET /admin/orders/stats/series: orders, revenue and average order value per day, ISO week or
// month of a time zone's calendar, from the roll-ups (the StatsStore port).

import { Forbidden, ValidationFailed } from '../domain/errors.js';
import { dateOfDay, dayOfDate, isTimeZone, periodsBetween, startsOfLocalDays, type DayNumber, type Interval } from '../domain/local-calendar.js';
import type { Actor, StatsStore, StatusCounts } from './ports.js';

/** At most this many points per request: a leap year of days, with room to spare. */
export const MAX_POINTS = 400;

export interface SeriesQuery {
  from: string;
  to: string;
  interval?: Interval;
  tz?: string;
}

/** A series as the use case finds it; http/stats-views.ts makes its JSON. */
export interface SeriesRecord {
  interval: Interval;
  tz: string;
  from: string;
  to: string;
  points: SeriesPoint[];
}

export interface SeriesPoint {
  start: string;
  from: Date;
  to: Date;
  counts: StatusCounts;
}

export function createStatsSeries(stats: StatsStore) {
  return async function statsSeries(actor: Actor, query: SeriesQuery): Promise<SeriesRecord> {
    if (actor.role !== 'admin') throw new Forbidden();
    const interval = query.interval ?? 'day';
    const tz = query.tz ?? 'UTC';
    const { first, last } = localDates(query);
    if (!isTimeZone(tz)) throw invalid('tz', 'must be an IANA time zone name such as Europe/Berlin or Asia/Kolkata');
    const periods = periodsBetween(first, last, interval, MAX_POINTS);
    if (!periods) throw invalid('interval', `gives more than ${MAX_POINTS} points for this range; choose a longer interval or a shorter range`);
    const bounds = startsOfLocalDays([...periods.map((p) => p.first), periods[periods.length - 1]!.end], tz);
    const counts = await stats.periods(bounds);
    const points: SeriesPoint[] = periods.map((p, i) => ({ start: dateOfDay(p.first), from: new Date(bounds[i]!), to: new Date(bounds[i + 1]!), counts: counts[i]! }));
    return { interval, tz, from: query.from, to: query.to, points };
  };
}

export type StatsSeries = ReturnType<typeof createStatsSeries>;

// far enough from the ends of four-digit years that every zone's bounds still have one
const FIRST_DATE = dayOfDate('1970-01-01')!;
const LAST_DATE = dayOfDate('9998-12-31')!;

/** from/to as local dates (to included); shared with the top products. */
export function localDates(query: { from: string; to: string }): { first: DayNumber; last: DayNumber } {
  const first = dayOfDate(query.from);
  const last = dayOfDate(query.to);
  const errors = (['from', 'to'] as const)
    .filter((f) => {
      const d = f === 'from' ? first : last;
      return d === null || d < FIRST_DATE || d > LAST_DATE;
    })
    .map((field) => ({ field, message: 'must be a date (YYYY-MM-DD) between 1970-01-01 and 9998-12-31' }));
  if (errors.length) throw new ValidationFailed(`Invalid request: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors);
  if (first! > last!) throw invalid('from', 'must not be after to');
  return { first: first!, last: last! };
}

function invalid(field: string, message: string): ValidationFailed {
  return new ValidationFailed(`Invalid request: ${field} ${message}`, [{ field, message }]);
}
