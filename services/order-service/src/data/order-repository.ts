// Reads and writes of the order tables. Every function takes the transaction it runs in (if any):
// with PGlite in development there is one backend session, so nothing may query beside it.

import { addOrderFilter, summaryOf, type OrderFilter } from './order-filters.js';
import { QueryTypes, type Transaction } from 'sequelize';
import type { OrderStatus, PaymentStatus } from '../domain/order-lifecycle.js';
import { ORDER_STATUSES, REVENUE_STATUSES } from '../domain/order-lifecycle.js';
import type { Address, OrderRecord, OrderStats, OrderSummaryRecord, StatusChangeRecord } from '../orders/records.js';
import { toInt, type Database } from './database.js';
import { PRODUCTS_ON_INSERT, countInProductStats } from './product-stats.js';
import { SERIES_ON_INSERT, countInSeriesStats } from './series-stats.js';
import type { OrderItemRow, OrderRow, OrderStatusHistoryRow } from './rows.js';

export interface NewOrder {
  orderNumber: string;
  /** defaults to now */
  createdAt?: Date;
  userId: number;
  customerEmail: string;
  customerPhone: string | null;
  currency: string;
  subtotalMinor: number;
  taxMinor: number;
  shippingMinor: number;
  discountMinor: number;
  totalMinor: number;
  shipping: Address;
  billing: Address | null;
  notes: string | null;
  items: Array<{
    productId: number;
    sku: string | null;
    productName: string;
    productImage: string | null;
    quantity: number;
    unitPriceMinor: number;
    totalPriceMinor: number;
  }>;
}

export interface Actorish {
  userId: number;
  role: string;
}

export interface ListFilter extends OrderFilter {
  limit: number;
  offset: number;
}

const date = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

export function createOrderRepository(db: Database) {

  function toRecord(row: OrderRow, items: OrderItemRow[], history: OrderStatusHistoryRow[]): OrderRecord {
    return {
      id: toInt(row.id),
      orderNumber: row.order_number,
      userId: toInt(row.user_id),
      customerEmail: row.customer_email,
      customerPhone: row.customer_phone,
      status: row.status as OrderStatus,
      paymentStatus: row.payment_status as PaymentStatus,
      currency: row.currency,
      subtotalMinor: toInt(row.subtotal_cents),
      taxMinor: toInt(row.tax_cents),
      shippingMinor: toInt(row.shipping_cents),
      discountMinor: toInt(row.discount_cents),
      totalMinor: toInt(row.total_cents),
      shipping: {
        address: row.shipping_address,
        city: row.shipping_city,
        state: row.shipping_state,
        postal_code: row.shipping_postal_code,
        country: row.shipping_country,
      },
      billing: (row.billing_address as Address | null) ?? null,
      notes: row.notes,
      trackingNumber: row.tracking_number ?? null,
      version: row.version,
      createdAt: date(row.created_at)!,
      updatedAt: date(row.updated_at)!,
      confirmedAt: date(row.confirmed_at),
      processingAt: date(row.processing_at),
      shippedAt: date(row.shipped_at),
      deliveredAt: date(row.delivered_at),
      cancelledAt: date(row.cancelled_at),
      refundedAt: date(row.refunded_at),
      items: items.map((i) => ({
        id: toInt(i.id),
        productId: toInt(i.product_id),
        sku: i.sku,
        productName: i.product_name,
        productImage: i.product_image,
        quantity: i.quantity,
        unitPriceMinor: toInt(i.unit_price_cents),
        totalPriceMinor: toInt(i.total_price_cents),
      })),
      history: history.map(
        (h): StatusChangeRecord => ({
          fromStatus: (h.from_status as OrderStatus | null) ?? null,
          toStatus: h.to_status as OrderStatus,
          actorId: h.actor_id == null ? null : toInt(h.actor_id),
          actorRole: h.actor_role,
          reason: h.reason,
          createdAt: date(h.created_at)!,
        }),
      ),
    };
  }

  // One round trip per read and per insert: Sequelize's model methods cost more CPU per statement
  // than the statements cost PostgreSQL, and an order is read or written on every checkout.
  async function findById(id: number, transaction?: Transaction): Promise<OrderRecord | null> {
    const rows = await db.query<OrderRow & { items: OrderItemRow[]; history: OrderStatusHistoryRow[] }>(
      `SELECT o.*,
              coalesce((SELECT json_agg(i ORDER BY i.id) FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
              coalesce((SELECT json_agg(h ORDER BY h.id) FROM order_status_history h WHERE h.order_id = o.id), '[]') AS history
         FROM orders o WHERE o.id = $id`,
      { bind: { id }, type: QueryTypes.SELECT, transaction },
    );
    const row = rows[0];
    return row ? toRecord(row, row.items, row.history) : null;
  }

  /**
   * Inserts the order, its items (in the given order), its first history row and its counts in the
   * daily, hourly and product roll-ups, in one statement that also gives back the order as inserted (what a read in the
   * same transaction would return); the caller owns the transaction.
   */
  /** The order as inserted, or null when its order number is taken (nothing written; the transaction goes on). */
  async function insert(o: NewOrder, actor: Actorish, transaction: Transaction): Promise<OrderRecord | null> {
    const items = o.items.map((i) => ({
      product_id: i.productId,
      sku: i.sku,
      product_name: i.productName,
      product_image: i.productImage,
      quantity: i.quantity,
      unit_price_cents: i.unitPriceMinor,
      total_price_cents: i.totalPriceMinor,
    }));
    const rows = await db.query<OrderRow & { items: OrderItemRow[]; history: OrderStatusHistoryRow[] }>(
      `WITH o AS (
         INSERT INTO orders (order_number, user_id, customer_email, customer_phone, currency, subtotal_cents, tax_cents,
                             shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_state,
                             shipping_postal_code, shipping_country, billing_address, notes, created_at, updated_at)
         VALUES ($number, $user, $email, $phone, $currency, $subtotal, $tax, $shipping, $discount, $total, $address, $city,
                 $state, $postal, $country, $billing::jsonb, $notes, coalesce($created::timestamptz, now()), coalesce($created::timestamptz, now()))
         ON CONFLICT (order_number) DO NOTHING
         RETURNING *
       ), items AS (
         INSERT INTO order_items (order_id, product_id, sku, product_name, product_image, quantity, unit_price_cents, total_price_cents,
                                  order_created_at, order_total_cents)
         SELECT o.id, (e.v->>'product_id')::bigint, e.v->>'sku', e.v->>'product_name', e.v->>'product_image',
                (e.v->>'quantity')::int, (e.v->>'unit_price_cents')::bigint, (e.v->>'total_price_cents')::bigint, o.created_at, o.total_cents
           FROM o, jsonb_array_elements($items::jsonb) WITH ORDINALITY AS e(v, n)
          ORDER BY e.n
         RETURNING *
       ), history AS (
         INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, actor_role, reason)
         SELECT o.id, NULL, 'pending', $actor, $role, 'created' FROM o
         RETURNING *
       ), daily AS (
         INSERT INTO order_stats_daily (day, status, orders, total_cents)
         SELECT (o.created_at AT TIME ZONE 'UTC')::date, 'pending', 1, o.total_cents FROM o
         ON CONFLICT (day, status) DO UPDATE SET orders = order_stats_daily.orders + 1,
                                                 total_cents = order_stats_daily.total_cents + EXCLUDED.total_cents
         RETURNING day
       ),
       -- each roll-up reads the one before, so every checkout locks their rows in the same order
       ${SERIES_ON_INSERT},
       products AS (${PRODUCTS_ON_INSERT})
       SELECT o.*,
              coalesce((SELECT json_agg(i ORDER BY i.id) FROM items i), '[]') AS items,
              coalesce((SELECT json_agg(h ORDER BY h.id) FROM history h), '[]') AS history
         FROM o`,
      {
        bind: {
          number: o.orderNumber,
          user: o.userId,
          email: o.customerEmail,
          phone: o.customerPhone,
          currency: o.currency,
          subtotal: o.subtotalMinor,
          tax: o.taxMinor,
          shipping: o.shippingMinor,
          discount: o.discountMinor,
          total: o.totalMinor,
          address: o.shipping.address,
          city: o.shipping.city,
          state: o.shipping.state ?? null,
          postal: o.shipping.postal_code,
          country: o.shipping.country,
          billing: o.billing === null ? null : JSON.stringify(o.billing),
          notes: o.notes,
          created: o.createdAt ? o.createdAt.toISOString() : null,
          items: JSON.stringify(items),
          actor: actor.userId,
          role: actor.role,
        },
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    const row = rows[0];
    return row ? toRecord(row, row.items, row.history) : null;
  }

  async function addHistory(
    orderId: number,
    from: OrderStatus | null,
    to: OrderStatus,
    actor: Actorish,
    reason: string | null,
    transaction: Transaction,
  ): Promise<void> {
    await db.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, actor_role, reason)
       VALUES ($order, $from, $to, $actor, $role, $reason)`,
      { bind: { order: orderId, from, to, actor: actor.userId, role: actor.role, reason }, transaction },
    );
  }

  /**
   * The one conditional UPDATE that moves an order: it succeeds only while the order is still in
   * one of `sources` (and at `expectedVersion`), so two racing changes cannot both win.
   * Returns the previous status, or null when nothing matched.
   */
  async function transition(
    args: {
      id: number;
      to: OrderStatus;
      sources: OrderStatus[];
      paidOnlySources: OrderStatus[];
      ownerId?: number;
      expectedVersion?: number;
      timestampColumn: string | null;
      trackingNumber?: string | null;
    },
    transaction: Transaction,
  ): Promise<OrderStatus | null> {
    const sets = ['status = $to', 'version = o.version + 1', 'updated_at = now()'];
    if (args.timestampColumn) sets.push(`${args.timestampColumn} = now()`); // column name from the lifecycle table, never input
    const bind: Record<string, unknown> = { id: args.id, to: args.to, sources: args.sources, paidOnly: args.paidOnlySources };
    if (args.trackingNumber !== undefined) {
      sets.push('tracking_number = $tracking');
      bind.tracking = args.trackingNumber;
    }
    let where = `o.id = p.id AND o.status = ANY($sources) AND (o.status <> ALL($paidOnly) OR o.payment_status = 'paid')`;
    if (args.ownerId !== undefined) {
      where += ' AND o.user_id = $owner';
      bind.owner = args.ownerId;
    }
    if (args.expectedVersion !== undefined) {
      where += ' AND o.version = $version';
      bind.version = args.expectedVersion;
    }
    // p holds the row as it was (locked), so the history row gets the exact previous status
    const rows = await db.query<{ previous: OrderStatus; created_at: Date; total_cents: string }>(
      `UPDATE orders o SET ${sets.join(', ')}
         FROM (SELECT id, status AS previous FROM orders WHERE id = $id FOR UPDATE) p
        WHERE ${where}
       RETURNING p.previous, o.created_at, o.total_cents`,
      { bind, type: QueryTypes.SELECT, transaction },
    );
    const row = rows[0];
    if (!row) return null;
    await countInDailyStats(row.created_at, row.previous, args.to, toInt(row.total_cents), transaction);
    const change = { orderId: args.id, createdAt: row.created_at, from: row.previous, to: args.to, totalCents: toInt(row.total_cents) };
    await countInSeriesStats(db, change, transaction);
    await countInProductStats(db, change, transaction);
    return row.previous;
  }

  /** Field updates that are not a status change (payment status, tracking number, notes). */
  async function updateFields(
    id: number,
    fields: { paymentStatus?: PaymentStatus; trackingNumber?: string | null; notes?: string | null },
    expectedVersion: number | undefined,
    transaction: Transaction,
  ): Promise<boolean> {
    const sets = ['version = version + 1', 'updated_at = now()'];
    const bind: Record<string, unknown> = { id };
    if (fields.paymentStatus !== undefined) {
      sets.push('payment_status = $payment');
      bind.payment = fields.paymentStatus;
    }
    if (fields.trackingNumber !== undefined) {
      sets.push('tracking_number = $tracking');
      bind.tracking = fields.trackingNumber;
    }
    if (fields.notes !== undefined) {
      sets.push('notes = $notes');
      bind.notes = fields.notes;
    }
    let where = 'id = $id';
    if (expectedVersion !== undefined) {
      (where += ' AND version = $version');
      bind.version = expectedVersion;
    }
    const rows = await db.query(`UPDATE orders SET ${sets.join(', ')} WHERE ${where} RETURNING id`, {
      bind,
      type: QueryTypes.SELECT,
      transaction,
    });
    return rows.length === 1;
  }

  async function list(filter: ListFilter, transaction?: Transaction): Promise<{ items: OrderSummaryRecord[]; total: number }> {
    const conds: string[] = [];
    const bind: Record<string, unknown> = { limit: filter.limit, offset: filter.offset };
    addOrderFilter(filter, conds, bind);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const rows = await db.query<Record<string, unknown>>(
      `SELECT o.id, o.order_number, o.user_id, o.customer_email, o.status, o.payment_status, o.total_cents, o.currency,
              o.created_at, (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS item_count
         FROM orders o ${where}
        ORDER BY o.created_at DESC, o.id DESC
        LIMIT $limit OFFSET $offset`,
      { bind, type: QueryTypes.SELECT, transaction },
    );
    delete bind.limit;
    delete bind.offset;
    const [count] = await db.query<{ total: string }>(`SELECT count(*) AS total FROM orders o ${where}`, {
      bind,
      type: QueryTypes.SELECT,
      transaction,
    });
    return {
      total: toInt(count?.total ?? 0),
      items: rows.map(summaryOf),
    };
  }

  /** Moves one order between statuses in the daily roll-up (same transaction as the change). */
  async function countInDailyStats(createdAt: Date, from: OrderStatus | null, to: OrderStatus, totalCents: number, transaction: Transaction) {
    const day = new Date(createdAt).toISOString().slice(0, 10);
    await db.query(
      `INSERT INTO order_stats_daily (day, status, orders, total_cents) VALUES ($day, $to, 1, $cents)
         ON CONFLICT (day, status) DO UPDATE SET orders = order_stats_daily.orders + 1,
                                                 total_cents = order_stats_daily.total_cents + EXCLUDED.total_cents`,
      { bind: { day, to, cents: totalCents }, transaction },
    );
    if (from) {
      await db.query(
        `UPDATE order_stats_daily SET orders = orders - 1, total_cents = total_cents - $cents WHERE day = $day AND status = $from`,
        { bind: { day, from, cents: totalCents }, transaction },
      );
    }
  }

  const DAY_MS = 86_400_000;
  const dayStart = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
  const nextDayStart = (d: Date) => new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);
  // the latest bound the API takes (9999-12-31T23:59:59.999Z): the day after it has no four-digit year
  const LAST_INSTANT = 253_402_300_799_999;
  const dayText = (d: Date) => d.toISOString().slice(0, 10);

  /**
   * The statistics in one query: the UTC days wholly inside [from, to) from the daily roll-up, the
   * partial first and last day from the orders (index-only range scans on orders_created_covering_idx).
   */
  async function stats(args: { from?: Date; to?: Date; todayStart: Date; monthStart: Date }): Promise<OrderStats> {
    const { from, to } = args;
    const bind: Record<string, unknown> = {};
    // the whole days: [firstDay, endDay) in days
    const firstDay = from && nextDayStart(from);
    const endDay = to && dayStart(to);
    const beyondLastDay = firstDay !== undefined && firstDay.getTime() > LAST_INSTANT;
    const parts: string[] = [];
    if (!beyondLastDay && !(firstDay && endDay && firstDay >= endDay)) {
      Object.assign(bind, { today: dayText(args.todayStart), month: dayText(args.monthStart) });
      const conds: string[] = [];
      if (firstDay) {
        conds.push('day >= $firstDay');
        bind.firstDay = dayText(firstDay);
      }
      if (endDay) {
        conds.push('day < $endDay');
        bind.endDay = dayText(endDay);
      }
      parts.push(`SELECT status, sum(orders) AS orders, sum(total_cents) AS cents,
                         sum(orders) FILTER (WHERE day >= $today) AS today, sum(orders) FILTER (WHERE day >= $month) AS month
                    FROM order_stats_daily ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} GROUP BY status`);
    }
    // the partial days, as disjoint instants [start, end): the head up to from's next midnight, the tail from to's midnight
    const edges: Array<[Date | undefined, Date | undefined]> = [];
    const head: [Date | undefined, Date | undefined] | null =
      from && firstDay!.getTime() !== from.getTime() ? [from, to && to < firstDay! ? to : beyondLastDay ? undefined : firstDay] : null;
    const tail: [Date | undefined, Date | undefined] | null = to && endDay!.getTime() !== to.getTime() ? [from && from > endDay! ? from : endDay, to] : null;
    if (head) edges.push(head);
    // within one day head and tail are the same span [from, to)
    if (tail && !(head && head[0]!.getTime() === tail[0]!.getTime() && head[1]!.getTime() === tail[1]!.getTime())) edges.push(tail);
    edges.forEach(([start, end], i) => {
      if (start && end && start >= end) return;
      Object.assign(bind, { todayTs: args.todayStart, monthTs: args.monthStart });
      const conds: string[] = [];
      if (start) {
        conds.push(`created_at >= $e${i}s`);
        bind[`e${i}s`] = start;
      }
      if (end) {
        conds.push(`created_at < $e${i}e`);
        bind[`e${i}e`] = end;
      }
      parts.push(`SELECT status, count(*) AS orders, sum(total_cents) AS cents,
                         count(*) FILTER (WHERE created_at >= $todayTs) AS today, count(*) FILTER (WHERE created_at >= $monthTs) AS month
                    FROM orders WHERE ${conds.join(' AND ')} GROUP BY status`);
    });
    const rows = parts.length
      ? await db.query<{ status: OrderStatus; orders: string; cents: string | null; today: string | null; month: string | null }>(
          `SELECT status, sum(orders) AS orders, sum(cents) AS cents, sum(today) AS today, sum(month) AS month
             FROM (${parts.join('\n UNION ALL ')}) p
            GROUP BY status`,
          { bind, type: QueryTypes.SELECT },
        )
      : [];
    const byStatus = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
    let revenueMinor = 0;
    let revenueOrders = 0;
    let today = 0;
    let month = 0;
    for (const r of rows) {
      const n = toInt(r.orders);
      byStatus[r.status] = n;
      today += toInt(r.today ?? 0);
      month += toInt(r.month ?? 0);
      if (REVENUE_STATUSES.includes(r.status)) {
        revenueMinor += toInt(r.cents ?? 0);
        revenueOrders += n;
      }
    }
    return summarise({ byStatus, revenueMinor, revenueOrders, today, month, from, to });
  }

  function summarise(a: { byStatus: Record<OrderStatus, number>; revenueMinor: number; revenueOrders: number; today: number; month: number; from?: Date; to?: Date }): OrderStats {
    return {
      totalOrders: Object.values(a.byStatus).reduce((x, y) => x + y, 0),
      byStatus: a.byStatus,
      revenueMinor: a.revenueMinor,
      revenueOrders: a.revenueOrders,
      // half away from zero on integers
      averageOrderValueMinor: a.revenueOrders === 0 ? 0 : Math.floor((a.revenueMinor * 2 + a.revenueOrders) / (2 * a.revenueOrders)),
      ordersToday: a.today,
      ordersThisMonth: a.month,
      from: a.from ?? null,
      to: a.to ?? null,
      currency: 'USD',
    };
  }

  /** Every figure of the statistics from one aggregate query over the orders (never one query per status). */
  async function statsFromOrders(args: { from?: Date; to?: Date; todayStart: Date; monthStart: Date }): Promise<OrderStats> {
    const perStatus = ORDER_STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}') AS "${s}"`).join(',\n');
    const revenue = REVENUE_STATUSES.map((s) => `'${s}'`).join(',');
    const conds: string[] = [];
    const bind: Record<string, unknown> = { today: args.todayStart, month: args.monthStart };
    if (args.from) {
      conds.push('created_at >= $from');
      bind.from = args.from;
    }
    if (args.to) {
      conds.push('created_at < $to');
      bind.to = args.to;
    }
    const [row] = await db.query<Record<string, string | null>>(
      `SELECT count(*) AS total, ${perStatus},
              coalesce(sum(total_cents) FILTER (WHERE status IN (${revenue})), 0) AS revenue_cents,
              count(*) FILTER (WHERE status IN (${revenue})) AS revenue_orders,
              count(*) FILTER (WHERE created_at >= $today) AS today,
              count(*) FILTER (WHERE created_at >= $month) AS month
         FROM orders ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}`,
      { bind, type: QueryTypes.SELECT },
    );
    const r = row ?? {};
    return summarise({
      byStatus: Object.fromEntries(ORDER_STATUSES.map((s) => [s, toInt(r[s] ?? 0)])) as Record<OrderStatus, number>,
      revenueMinor: toInt(r.revenue_cents ?? 0),
      revenueOrders: toInt(r.revenue_orders ?? 0),
      today: toInt(r.today ?? 0),
      month: toInt(r.month ?? 0),
      from: args.from,
      to: args.to,
    });
  }

  return { findById, insert, addHistory, transition, updateFields, list, stats, statsFromOrders };
}

export type OrderRepository = ReturnType<typeof createOrderRepository>;
