// GET /admin/orders/stats/series: orders, revenue and average order value per day, ISO week or
// month of a time zone's calendar, from the roll-ups (data/series-stats.ts).

import type { Database } from '../data/database.js';
import { statsForPeriods, type StatusCounts } from '../data/series-stats.js';
import { Forbidden, ValidationFailed } from '../domain/errors.js';
import { dateOfDay, dayOfDate, isTimeZone, periodsBetween, startsOfLocalDays, type DayNumber, type Interval } from '../domain/local-calendar.js';
import { toMajorNumber } from '../domain/money.js';
import { ORDER_STATUSES, REVENUE_STATUSES } from '../domain/order-lifecycle.js';
import type { Actor } from './ports.js';

/** At most this many points per request: a leap year of days, with room to spare. */
export const MAX_POINTS = 400;

export interface SeriesQuery {
  from: string;
  to: string;
  interval?: Interval;
  tz?: string;
}

export interface SeriesPoint {
  start: string;
  from: Date;
  to: Date;
  counts: StatusCounts;
}

export function createStatsSeries(db: Database) {
  return async function statsSeries(actor: Actor, query: SeriesQuery) {
    if (actor.role !== 'admin') throw new Forbidden();
    const interval = query.interval ?? 'day';
    const tz = query.tz ?? 'UTC';
    const { first, last } = localDates(query);
    if (!isTimeZone(tz)) throw invalid('tz', 'must be an IANA time zone name such as Europe/Berlin or Asia/Kolkata');
    const periods = periodsBetween(first, last, interval, MAX_POINTS);
    if (!periods) throw invalid('interval', `gives more than ${MAX_POINTS} points for this range; choose a longer interval or a shorter range`);
    const bounds = startsOfLocalDays([...periods.map((p) => p.first), periods[periods.length - 1]!.end], tz);
    const counts = await statsForPeriods(db, bounds);
    const points: SeriesPoint[] = periods.map((p, i) => ({ start: dateOfDay(p.first), from: new Date(bounds[i]!), to: new Date(bounds[i + 1]!), counts: counts[i]! }));
    return toSeriesJson({ interval, tz, from: query.from, to: query.to, points });
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

/** The same figures as /admin/orders/stats, per point: counts per status, revenue and its average as JSON numbers. */
export function toSeriesJson(s: { interval: Interval; tz: string; from: string; to: string; points: SeriesPoint[] }) {
  return {
    interval: s.interval,
    tz: s.tz,
    from: s.from,
    to: s.to,
    currency: 'USD',
    points: s.points.map((p) => {
      const n = (st: (typeof ORDER_STATUSES)[number]) => p.counts.get(st)?.orders ?? 0;
      const revenueOrders = REVENUE_STATUSES.reduce((x, st) => x + n(st), 0);
      const revenueMinor = REVENUE_STATUSES.reduce((x, st) => x + (p.counts.get(st)?.cents ?? 0), 0);
      return {
        start: p.start,
        from: p.from.toISOString(),
        to: p.to.toISOString(),
        total_orders: ORDER_STATUSES.reduce((x, st) => x + n(st), 0),
        ...Object.fromEntries(ORDER_STATUSES.map((st) => [`${st}_orders`, n(st)])),
        revenue: toMajorNumber(revenueMinor),
        // half away from zero on integers, as the statistics do
        average_order_value: toMajorNumber(revenueOrders === 0 ? 0 : Math.floor((revenueMinor * 2 + revenueOrders) / (2 * revenueOrders))),
      };
    }),
  };
}
