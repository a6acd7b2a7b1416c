// The series' roll-ups as the writes keep them: orders and totals per UTC quarter hour, hour and
// day with statuses as columns, counted in the checkout's insert and moved by a status change.
// (series-periods.ts reads them.)

import type { Transaction } from 'sequelize';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-lifecycle.js';
import type { Database } from './database.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const QUARTER = 900_000;

/** One roll-up's CTE: the new orders counted as pending per bucket, in key order, after the CTE named `after`. */
const pendingRollUp = (name: string, table: string, key: string, bucket: string, after: string) => `
  ${name} AS (
    INSERT INTO ${table} (${key}, pending_orders, pending_cents)
    SELECT ${bucket}, count(*), sum(o.total_cents)
      FROM o, (SELECT count(*) FROM ${after}) after_${after}
     GROUP BY 1 ORDER BY 1
    ON CONFLICT (${key}) DO UPDATE SET pending_orders = ${table}.pending_orders + EXCLUDED.pending_orders,
                                       pending_cents = ${table}.pending_cents + EXCLUDED.pending_cents
    RETURNING ${key})`;

/** The series roll-ups' part of the new orders' insert: three CTEs after `daily`, reading `o`, the last named `series_daily` (see order-insert.ts); one row per quarter, hour and day, in order. */
export const SERIES_ON_INSERT = [
  pendingRollUp('quarterly', 'order_series_quarterly', 'quarter', "date_bin('15 minutes', o.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')", 'daily'),
  pendingRollUp('hourly', 'order_series_hourly', 'hour', "date_trunc('hour', o.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'", 'quarterly'),
  pendingRollUp('series_daily', 'order_series_daily', 'day', "(o.created_at AT TIME ZONE 'UTC')::date", 'hourly'),
].join(',');

function statusColumn(status: OrderStatus): string {
  // interpolated into SQL: only the lifecycle's own names
  if (!ORDER_STATUSES.includes(status)) throw new Error('not an order status');
  return status;
}

/** Moves one order between statuses in the quarter-hour, hourly and daily roll-ups (in the status change's transaction). */
export async function countInSeriesStats(
  db: Database,
  change: { createdAt: Date; from: OrderStatus; to: OrderStatus; totalCents: number },
  transaction: Transaction,
): Promise<void> {
  const at = new Date(change.createdAt).getTime();
  const [to, from] = [statusColumn(change.to), statusColumn(change.from)];
  const upsert = (table: string, key: string, type: string, from_: string) => `
    INSERT INTO ${table} (${key}, ${to}_orders, ${to}_cents, ${from}_orders, ${from}_cents)
    SELECT $${key}::${type}, 1, $cents::bigint, -1, -$cents::bigint ${from_}
    ON CONFLICT (${key}) DO UPDATE SET ${[to, from].map((s) => `${s}_orders = ${table}.${s}_orders + EXCLUDED.${s}_orders, ${s}_cents = ${table}.${s}_cents + EXCLUDED.${s}_cents`).join(', ')}`;
  // the quarter's row, then the hour's, then the day's, as the insert locks them
  await db.query(
    `WITH q AS (${upsert('order_series_quarterly', 'quarter', 'timestamptz', '')} RETURNING 1),
          h AS (${upsert('order_series_hourly', 'hour', 'timestamptz', 'FROM q')} RETURNING 1)
     ${upsert('order_series_daily', 'day', 'date', 'FROM h')}`,
    {
      bind: {
        quarter: new Date(Math.floor(at / QUARTER) * QUARTER).toISOString(),
        hour: new Date(Math.floor(at / HOUR) * HOUR).toISOString(),
        day: new Date(Math.floor(at / DAY) * DAY).toISOString().slice(0, 10),
        cents: change.totalCents,
      },
      transaction,
    },
  );
}
