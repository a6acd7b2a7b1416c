// The from/to query parameters of the admin list, export and statistics as instants: a date is
// a whole UTC day, a date-time is taken as is, and both stay within four-digit years.
import { ValidationFailed } from '../domain/errors.js';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// what PostgreSQL and toISOString() both write as a four-digit year
const EARLIEST = new Date('0001-01-01T00:00:00.000Z').getTime();
const LATEST = new Date('9999-12-31T23:59:59.999Z').getTime();

/** from=2024-05-01 means that day's start (UTC); a date-time is taken as is. */
export function rangeStart(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  return withinRange('from', DATE_ONLY.test(value) ? new Date(`${value}T00:00:00.000Z`) : dateTime(value));
}

/** to=2024-05-31 includes that whole day: the bound is the next day's start (exclusive). */
export function rangeEnd(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  if (!DATE_ONLY.test(value)) return withinRange('to', dateTime(value));
  const end = new Date(`${value}T00:00:00.000Z`);
  end.setUTCDate(end.getUTCDate() + 1);
  // the day after 9999-12-31 has no four-digit year: the end of the last day bounds it as well
  return withinRange('to', end.getTime() === LATEST + 1 ? new Date(LATEST) : end);
}

/** An RFC 3339 date-time as the schema accepts it; Date cannot read a leap second (23:59:60): it is the instant after :59. */
function dateTime(value: string): Date {
  const leap = /^(.*T\d{2}:\d{2}):60(.*)$/i.exec(value);
  return leap ? new Date(new Date(`${leap[1]}:59${leap[2]}`).getTime() + 1000) : new Date(value);
}

function withinRange(field: 'from' | 'to', date: Date): Date {
  const t = date.getTime();
  if (Number.isNaN(t) || t < EARLIEST || t > LATEST) {
    const message = 'must be a date or date-time between 0001-01-01 and 9999-12-31 (UTC)';
    throw new ValidationFailed(`Invalid request: ${field} ${message}`, [{ field, message }]);
  }
  return date;
}
