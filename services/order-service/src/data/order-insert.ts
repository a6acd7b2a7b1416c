// The insert of new orders: each order with its items, its first history row and its counts in
// the daily, hourly and product roll-ups, in one statement that gives the order back as inserted.

import { QueryTypes, type Transaction } from 'sequelize';
import type { NewOrderRecord, OrderRecord } from '../domain/records.js';
import type { ChangeAuthor, Tx } from '../orders/ports.js';
import type { Database } from './database.js';
import { toOrderRecord, type OrderRowWithLines } from './order-records.js';
import { PRODUCTS_ON_INSERT } from './product-stats.js';
import { HOURLY_ON_INSERT } from './series-stats.js';
import { transactionOf } from './unit-of-work.js';

const INSERT_ORDER = `WITH o AS (
         INSERT INTO orders (order_number, user_id, customer_email, customer_phone, currency, subtotal_cents, tax_cents,
                             shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_state,
                             shipping_postal_code, shipping_country, billing_address, notes, created_at, updated_at)
         VALUES ($number, $user, $email, $phone, $currency, $subtotal, $tax, $shipping, $discount, $total, $address, $city,
                 $state, $postal, $country, $billing::jsonb, $notes, coalesce($created::timestamptz, now()), coalesce($created::timestamptz, now()))
         ON CONFLICT (order_number) DO NOTHING
         RETURNING *
       ), items AS (
         INSERT INTO order_items (order_id, product_id, sku, product_name, product_image, quantity, unit_price_cents, total_price_cents)
         SELECT o.id, (e.v->>'product_id')::bigint, e.v->>'sku', e.v->>'product_name', e.v->>'product_image',
                (e.v->>'quantity')::int, (e.v->>'unit_price_cents')::bigint, (e.v->>'total_price_cents')::bigint
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
       hourly AS (${HOURLY_ON_INSERT}),
       products AS (${PRODUCTS_ON_INSERT})
       SELECT o.*,
              coalesce((SELECT json_agg(i ORDER BY i.id) FROM items i), '[]') AS items,
              coalesce((SELECT json_agg(h ORDER BY h.id) FROM history h), '[]') AS history
         FROM o`;

export function createOrderInsert(db: Database) {
  async function insertOne(o: NewOrderRecord, author: ChangeAuthor, transaction: Transaction): Promise<OrderRecord | null> {
    const rows = await db.query<OrderRowWithLines>(INSERT_ORDER, { bind: bindOf(o, author), type: QueryTypes.SELECT, transaction });
    const row = rows[0];
    return row ? toOrderRecord(row) : null;
  }

  /** The orders as inserted, in the given order; null for one whose order number is taken. */
  async function insertAll(orders: Array<{ order: NewOrderRecord; author: ChangeAuthor }>, tx: Tx): Promise<Array<OrderRecord | null>> {
    const transaction = transactionOf(tx);
    const records: Array<OrderRecord | null> = [];
    for (const { order, author } of orders) records.push(await insertOne(order, author, transaction));
    return records;
  }

  return { insertAll };
}

function bindOf(o: NewOrderRecord, author: ChangeAuthor): Record<string, unknown> {
  return {
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
    items: JSON.stringify(o.items.map(itemRowOf)),
    actor: author.userId,
    role: author.role,
  };
}

function itemRowOf(i: NewOrderRecord['items'][number]) {
  return {
    product_id: i.productId,
    sku: i.sku,
    product_name: i.productName,
    product_image: i.productImage,
    quantity: i.quantity,
    unit_price_cents: i.unitPriceMinor,
    total_price_cents: i.totalPriceMinor,
  };
}
