// Two roll-ups kept in the order's transaction like order_stats_daily: orders per UTC hour and
// status (the series' bounds in any time zone), and sales per UTC day and product (the best
// products). Both start from the orders already there.

import type { MigrationFn } from './index.js';

/** The hourly roll-up as this migration builds it (0011's down builds it again). */
export const HOURLY_ROLL_UP = `
    CREATE TABLE order_stats_hourly (
      hour        TIMESTAMPTZ NOT NULL,
      status      VARCHAR(16) NOT NULL,
      orders      BIGINT      NOT NULL DEFAULT 0,
      total_cents BIGINT      NOT NULL DEFAULT 0,
      PRIMARY KEY (hour, status)
    );
    INSERT INTO order_stats_hourly (hour, status, orders, total_cents)
      SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', status, count(*), coalesce(sum(total_cents), 0)
        FROM orders GROUP BY 1, 2;`;

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`${HOURLY_ROLL_UP}

    CREATE TABLE order_product_stats_daily (
      day           DATE   NOT NULL,
      product_id    BIGINT NOT NULL,
      product_name  TEXT   NOT NULL,
      orders        BIGINT NOT NULL DEFAULT 0,
      units         BIGINT NOT NULL DEFAULT 0,
      revenue_cents BIGINT NOT NULL DEFAULT 0,
      PRIMARY KEY (day, product_id)
    );
    INSERT INTO order_product_stats_daily (day, product_id, product_name, orders, units, revenue_cents)
      SELECT (o.created_at AT TIME ZONE 'UTC')::date, i.product_id, (array_agg(i.product_name ORDER BY i.id DESC))[1],
             count(DISTINCT o.id) FILTER (WHERE o.status NOT IN ('cancelled', 'refunded')),
             coalesce(sum(i.quantity) FILTER (WHERE o.status NOT IN ('cancelled', 'refunded')), 0),
             coalesce(sum(i.total_price_cents) FILTER (WHERE o.status NOT IN ('cancelled', 'refunded')), 0)
        FROM orders o JOIN order_items i ON i.order_id = o.id
       GROUP BY 1, 2;
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP TABLE order_product_stats_daily; DROP TABLE order_stats_hourly;');
};
