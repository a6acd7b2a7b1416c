// A daily roll-up of orders per status (count and total), kept in the same transaction as every
// order change, so statistics read a few hundred rows instead of scanning millions of orders.

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE TABLE order_stats_daily (
      day         DATE        NOT NULL,
      status      VARCHAR(16) NOT NULL,
      orders      BIGINT      NOT NULL DEFAULT 0,
      total_cents BIGINT      NOT NULL DEFAULT 0,
      PRIMARY KEY (day, status)
    );
    INSERT INTO order_stats_daily (day, status, orders, total_cents)
      SELECT (created_at AT TIME ZONE 'UTC')::date, status, count(*), coalesce(sum(total_cents), 0)
        FROM orders GROUP BY 1, 2;
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP TABLE order_stats_daily;');
};
