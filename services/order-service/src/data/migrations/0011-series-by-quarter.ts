// The series' roll-ups with statuses as columns: orders and totals per UTC hour and per UTC quarter
// hour (every zone offset in use today is a whole number of quarters, so a local midnight is on a
// quarter), replacing order_stats_hourly's row per hour and status. Both start from the orders there.

import { HOURLY_ROLL_UP } from './0007-trends-and-top-products.js';
import type { MigrationFn } from './index.js';

// the statuses as of this migration (a later status needs a migration of its own)
const STATUSES = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'];

const table = (name: string, key: string, bucket: string) => `
  CREATE TABLE ${name} (
    ${key} TIMESTAMPTZ PRIMARY KEY,
    ${STATUSES.map((s) => `${s}_orders BIGINT NOT NULL DEFAULT 0, ${s}_cents BIGINT NOT NULL DEFAULT 0`).join(',\n    ')}
  );
  INSERT INTO ${name} (${key}, ${STATUSES.map((s) => `${s}_orders, ${s}_cents`).join(', ')})
    SELECT ${bucket}, ${STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}'), coalesce(sum(total_cents) FILTER (WHERE status = '${s}'), 0)`).join(', ')}
      FROM orders GROUP BY 1;`;

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    ${table('order_series_hourly', 'hour', "date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")}
    ${table('order_series_quarterly', 'quarter', "date_bin('15 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')")}
    DROP TABLE order_stats_hourly;
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query(`${HOURLY_ROLL_UP}
    DROP TABLE order_series_quarterly;
    DROP TABLE order_series_hourly;
  `);
};
