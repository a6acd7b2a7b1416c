// Sales per product and UTC day (order_product_stats_daily): written with the order, taken out
// again when the order is cancelled or refunded; the best products for a range of days read it.

import { QueryTypes, type Transaction } from 'sequelize';
import { countsAsSold, type OrderStatus } from '../domain/order-lifecycle.js';
import type { ProductSales } from '../orders/ports.js';
import { toInt, type Database } from './database.js';

/**
 * The product roll-up's part of the new orders' insert (a CTE after `series_daily`, reading `o` and
 * `items`; see order-insert.ts): one row per day and product of the orders, in key order, so
 * concurrent checkouts lock them in the same order. The name is the latest checkout's snapshot.
 */
export const PRODUCTS_ON_INSERT = `
  INSERT INTO order_product_stats_daily (day, product_id, product_name, orders, units, revenue_cents)
  SELECT (o.created_at AT TIME ZONE 'UTC')::date, i.product_id, (array_agg(i.product_name ORDER BY i.id DESC))[1],
         count(DISTINCT o.id), sum(i.quantity), sum(i.total_price_cents)
    FROM o JOIN items i ON i.order_id = o.id, (SELECT count(*) FROM series_daily) AFTER_SERIES
   GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (day, product_id) DO UPDATE SET product_name = EXCLUDED.product_name,
                                              orders = order_product_stats_daily.orders + EXCLUDED.orders,
                                              units = order_product_stats_daily.units + EXCLUDED.units,
                                              revenue_cents = order_product_stats_daily.revenue_cents + EXCLUDED.revenue_cents`;

/** Takes an order's lines out of the product roll-up when a status change ends its sale (same transaction). */
export async function countInProductStats(
  db: Database,
  change: { orderId: number; createdAt: Date; from: OrderStatus; to: OrderStatus },
  transaction: Transaction,
): Promise<void> {
  if (countsAsSold(change.from) === countsAsSold(change.to)) return;
  // no status leads back into the sold ones (cancelled and refunded are final but for cancelled → refunded)
  const day = new Date(change.createdAt).toISOString().slice(0, 10);
  await db.query(
    `UPDATE order_product_stats_daily s
        SET orders = s.orders - 1, units = s.units - l.units, revenue_cents = s.revenue_cents - l.cents
       FROM (SELECT product_id, sum(quantity) AS units, sum(total_price_cents) AS cents
               FROM order_items WHERE order_id = $order GROUP BY product_id) l
      WHERE s.day = $day AND s.product_id = l.product_id`,
    { bind: { order: change.orderId, day }, transaction },
  );
}

/**
 * The best-selling products over UTC days [firstDay, endDay) (YYYY-MM-DD): by revenue, then units,
 * then product id; the name from the last day in the range the product was ordered on.
 */
export async function topProducts(db: Database, range: { firstDay: string; endDay: string; limit: number }): Promise<ProductSales[]> {
  const rows = await db.query<{ product_id: string; product_name: string; orders: string; units: string; cents: string }>(
    `WITH top AS (
       SELECT product_id, sum(orders) AS orders, sum(units) AS units, sum(revenue_cents) AS cents, max(day) AS last_day
         FROM order_product_stats_daily
        WHERE day >= $first AND day < $end
        GROUP BY product_id
       HAVING sum(orders) > 0
        ORDER BY cents DESC, units DESC, product_id
        LIMIT $limit)
     SELECT top.product_id, n.product_name, top.orders, top.units, top.cents
       FROM top JOIN order_product_stats_daily n ON n.day = top.last_day AND n.product_id = top.product_id
      ORDER BY top.cents DESC, top.units DESC, top.product_id`,
    { bind: { first: range.firstDay, end: range.endDay, limit: range.limit }, type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    productId: toInt(r.product_id),
    productName: r.product_name,
    orders: toInt(r.orders),
    units: toInt(r.units),
    revenueMinor: toInt(r.cents),
  }));
}
