// The series' hourly and quarter-hour rows by their UTC time of day, then time, with their sums: a
// zone's day bounds fall at the same few times of day for months, so a year of days reads its
// corrections in a few index-only ranges instead of one index scan per bound. The price: an update
// of these rows is no longer HOT (two more index entries per row written).

import type { MigrationFn } from './index.js';

const SUMS = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'].flatMap((s) => [`${s}_orders`, `${s}_cents`]).join(', ');

export const up: MigrationFn = async ({ context: q }) => {
  // IF NOT EXISTS: an operator may build them CONCURRENTLY first, outside the migration's transaction
  await q.query(`CREATE INDEX IF NOT EXISTS order_series_hourly_time_idx ON order_series_hourly (((hour AT TIME ZONE 'UTC')::time), hour) INCLUDE (${SUMS})`);
  await q.query(`CREATE INDEX IF NOT EXISTS order_series_quarterly_time_idx ON order_series_quarterly (((quarter AT TIME ZONE 'UTC')::time), quarter) INCLUDE (${SUMS})`);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP INDEX order_series_quarterly_time_idx');
  await q.query('DROP INDEX order_series_hourly_time_idx');
};
