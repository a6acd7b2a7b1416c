// The series' daily roll-up with statuses as columns: orders and totals per UTC day, so a year of
// days reads 366 rows (order_stats_daily has a row per day and status). Built from the hourly one.

import type { MigrationFn } from './index.js';

// the statuses as of this migration (a later status needs a migration of its own)
const STATUSES = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'];
const COLUMNS = STATUSES.flatMap((s) => [`${s}_orders`, `${s}_cents`]);

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE TABLE order_series_daily (
      day DATE PRIMARY KEY,
      ${COLUMNS.map((c) => `${c} BIGINT NOT NULL DEFAULT 0`).join(',\n      ')}
    );
    INSERT INTO order_series_daily (day, ${COLUMNS.join(', ')})
      SELECT (hour AT TIME ZONE 'UTC')::date, ${COLUMNS.map((c) => `sum(${c})`).join(', ')}
        FROM order_series_hourly GROUP BY 1;
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP TABLE order_series_daily');
};
