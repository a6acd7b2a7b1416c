// The insert of new orders: all orders of a checkout or batch with their items, first history rows
// and counts in the daily, hourly and product roll-ups, in one statement that gives them back as inserted.

import { QueryTypes } from 'sequelize';
import type { NewOrderRecord, OrderRecord } from '../domain/records.js';
import type { ChangeAuthor, Tx } from '../orders/ports.js';
import type { Database } from './database.js';
import { toOrderRecord, type OrderRowWithLines } from './order-records.js';
import { PRODUCTS_ON_INSERT } from './product-stats.js';
import { SERIES_ON_INSERT } from './series-stats.js';
import { transactionOf } from './unit-of-work.js';

// one statement for every order of a checkout or batch: each CTE writes all their rows, in input
// order, so concurrent batches lock the roll-up rows in key order
const INSERT_ORDERS = `WITH input AS (
         SELECT e.n, e.v FROM jsonb_array_elements($orders::jsonb) WITH ORDINALITY AS e(v, n)
       ), o AS (
         INSERT INTO orders (order_number, user_id, customer_email, customer_phone, currency, subtotal_cents, tax_cents,
                             shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_state,
                             shipping_postal_code, shipping_country, billing_address, notes, created_at, updated_at)
         SELECT v->>'number', (v->>'user')::bigint, v->>'email', v->>'phone', v->>'currency', (v->>'subtotal')::bigint,
                (v->>'tax')::bigint, (v->>'shipping')::bigint, (v->>'discount')::bigint, (v->>'total')::bigint, v->>'address',
                v->>'city', v->>'state', v->>'postal', v->>'country', nullif(v->'billing', 'null'::jsonb), v->>'notes',
                coalesce((v->>'created')::timestamptz, now()), coalesce((v->>'created')::timestamptz, now())
           FROM input ORDER BY n
         ON CONFLICT (order_number) DO NOTHING
         RETURNING *
       ), numbered AS (
         SELECT o.id, o.created_at, o.total_cents, input.n, input.v FROM o JOIN input ON input.v->>'number' = o.order_number
       ), items AS (
         INSERT INTO order_items (order_id, product_id, sku, product_name, product_image, quantity, unit_price_cents, total_price_cents,
                                  order_created_at, order_total_cents)
         SELECT d.id, (e.v->>'product_id')::bigint, e.v->>'sku', e.v->>'product_name', e.v->>'product_image',
                (e.v->>'quantity')::int, (e.v->>'unit_price_cents')::bigint, (e.v->>'total_price_cents')::bigint, d.created_at, d.total_cents
           FROM numbered d, jsonb_array_elements(d.v->'items') WITH ORDINALITY AS e(v, k)
          ORDER BY d.n, e.k
         RETURNING *
       ), history AS (
         INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, actor_role, reason)
         SELECT d.id, NULL, 'pending', (d.v->>'actor')::bigint, d.v->>'role', 'created' FROM numbered d ORDER BY d.n
         RETURNING *
       ), daily AS (
         INSERT INTO order_stats_daily (day, status, orders, total_cents)
         SELECT (o.created_at AT TIME ZONE 'UTC')::date, 'pending', count(*), sum(o.total_cents) FROM o GROUP BY 1 ORDER BY 1
         ON CONFLICT (day, status) DO UPDATE SET orders = order_stats_daily.orders + EXCLUDED.orders,
                                                 total_cents = order_stats_daily.total_cents + EXCLUDED.total_cents
         RETURNING day
       ),
       -- each roll-up reads the one before, so every checkout locks their rows in the same order
       ${SERIES_ON_INSERT},
       products AS (${PRODUCTS_ON_INSERT})
       SELECT o.*, d.n,
              coalesce((SELECT json_agg(i ORDER BY i.id) FROM items i WHERE i.order_id = o.id), '[]') AS items,
              coalesce((SELECT json_agg(h ORDER BY h.id) FROM history h WHERE h.order_id = o.id), '[]') AS history
         FROM o JOIN numbered d ON d.id = o.id
        ORDER BY d.n`;

export function createOrderInsert(db: Database) {
  /** The orders as inserted, in the given order; null for one whose order number is taken (nothing of it written). */
  async function insertAll(orders: Array<{ order: NewOrderRecord; author: ChangeAuthor }>, tx: Tx): Promise<Array<OrderRecord | null>> {
    if (orders.length === 0) return [];
    const rows = await db.query<OrderRowWithLines & { n: string }>(INSERT_ORDERS, {
      bind: { orders: JSON.stringify(orders.map(({ order, author }) => rowOf(order, author))) },
      type: QueryTypes.SELECT,
      transaction: transactionOf(tx),
    });
    const records: Array<OrderRecord | null> = orders.map(() => null);
    for (const row of rows) records[Number(row.n) - 1] = toOrderRecord(row);
    return records;
  }

  return { insertAll };
}

/** One order of the statement's input, as the statement reads it. */
function rowOf(o: NewOrderRecord, author: ChangeAuthor): Record<string, unknown> {
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
    billing: o.billing,
    notes: o.notes,
    created: o.createdAt ? o.createdAt.toISOString() : null,
    items: o.items.map(itemRowOf),
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
