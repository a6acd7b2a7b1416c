// The SQL of the admin search and the export: keyset pages over (sort key, id), one statement each,
// so nothing holds a transaction or a server session between pages (PgBouncer transaction mode).

import { addOrderFilter, summaryOf } from './order-filters.js';
import { QueryTypes } from 'sequelize';
import type { OrderStatus, PaymentStatus } from '../domain/order-lifecycle.js';
import type { OrderExportRecord, OrderSearchPort, SearchCriteria, SearchPageRows } from '../orders/search-ports.js';
import { toInt, type Database } from './database.js';

// created_at as UTC text with microseconds: a JS Date keeps milliseconds, and a cursor that lost the
// rest would skip or repeat rows that share a millisecond
const CREATED_KEY = `to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// Up to this many items of a product, its orders are read from order_items and sorted; beyond it,
// the orders are walked in sort order and checked for the product (the planner cannot tell the two
// apart before it runs: a rare product walked in created_at order scans most of the table).
export const RARE_PRODUCT_ITEMS = 5000;

/** The marker the export's statements carry (tests find them in pg_stat_activity by it). */
export const EXPORT_QUERY_MARKER = '/* order-export */';

export function createOrderSearch(db: Database, options: { rareProductItems?: number } = {}): OrderSearchPort {
  const rareProductItems = options.rareProductItems ?? RARE_PRODUCT_ITEMS;
  /** True when the product has fewer than rareProductItems items (an index-only count that stops there). */
  async function isRareProduct(productId: number): Promise<boolean> {
    const [row] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM order_items WHERE product_id = $product LIMIT $rare) s`,
      { bind: { product: productId, rare: rareProductItems }, type: QueryTypes.SELECT },
    );
    return toInt(row?.n ?? 0) < rareProductItems;
  }

  async function search(c: SearchCriteria): Promise<SearchPageRows> {
    const conds: string[] = [];
    const bind: Record<string, unknown> = { limit: c.limit + 1, offset: c.offset };
    const form = c.form;
    let withClause = '';
    if (form?.kind === 'order_number_prefix') {
      conds.push(`o.order_number LIKE $prefix`);
      bind.prefix = `${form.prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    } else if (form?.kind === 'email') {
      conds.push('lower(o.customer_email) = lower($email)');
      bind.email = form.email;
    } else if (form?.kind === 'tracking_number') {
      conds.push('o.tracking_number = $tracking');
      bind.tracking = form.trackingNumber;
    } else if (form?.kind === 'product') {
      bind.product = form.productId;
      if (await isRareProduct(form.productId)) {
        // MATERIALIZED: the few matching orders first, then sorted, whatever the planner guesses
        withClause = 'WITH product_orders AS MATERIALIZED (SELECT DISTINCT order_id FROM order_items WHERE product_id = $product) ';
        conds.push('o.id IN (SELECT order_id FROM product_orders)');
      } else {
        conds.push('EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.product_id = $product)');
      }
    }
    addOrderFilter(c, conds, bind);
    const column = c.sort === 'total_amount' ? 'o.total_cents' : 'o.created_at';
    const dir = c.direction === 'asc' ? 'ASC' : 'DESC';
    if (c.after) {
      // a row comparison: the index on (sort key, id) serves it in either direction
      conds.push(`(${column}, o.id) ${c.direction === 'asc' ? '>' : '<'} ($afterKey::${c.sort === 'total_amount' ? 'bigint' : 'timestamptz'}, $afterId)`);
      bind.afterKey = c.after.key;
      bind.afterId = c.after.id;
    }
    const rows = await db.query<Record<string, unknown>>(
      `${withClause}SELECT o.id, o.order_number, o.user_id, o.customer_email, o.status, o.payment_status, o.total_cents, o.currency,
              o.created_at, ${CREATED_KEY} AS created_key,
              (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS item_count
         FROM orders o ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY ${column} ${dir}, o.id ${dir}
        LIMIT $limit OFFSET $offset`,
      { bind, type: QueryTypes.SELECT },
    );
    const page = rows.slice(0, c.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(summaryOf),
      next:
        rows.length > c.limit && last
          ? { key: c.sort === 'total_amount' ? String(last.total_cents) : String(last.created_key), id: toInt(last.id) }
          : null,
    };
  }

  /** One batch of the export, oldest first, after the given (created_at, id). */
  async function exportBatch(args: {
    from: Date;
    to: Date;
    status?: OrderStatus;
    after: { key: string; id: number } | null;
    limit: number;
  }): Promise<Array<OrderExportRecord & { key: string }>> {
    const conds = ['o.created_at >= $from', 'o.created_at < $to'];
    const bind: Record<string, unknown> = { from: args.from, to: args.to, limit: args.limit };
    if (args.status !== undefined) {
      conds.push('o.status = $status');
      bind.status = args.status;
    }
    if (args.after) {
      conds.push('(o.created_at, o.id) > ($afterKey::timestamptz, $afterId)');
      bind.afterKey = args.after.key;
      bind.afterId = args.after.id;
    }
    const rows = await db.query<Record<string, unknown>>(
      `${EXPORT_QUERY_MARKER} SELECT o.id, o.order_number, o.created_at, ${CREATED_KEY} AS created_key, o.status, o.payment_status,
              o.user_id, o.customer_email, o.customer_phone, o.currency, o.subtotal_cents, o.tax_cents, o.shipping_cents,
              o.discount_cents, o.total_cents, o.shipping_address, o.shipping_city, o.shipping_state, o.shipping_postal_code,
              o.shipping_country, o.tracking_number, o.notes,
              (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS item_count
         FROM orders o WHERE ${conds.join(' AND ')}
        ORDER BY o.created_at, o.id
        LIMIT $limit`,
      { bind, type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({
      key: String(r.created_key),
      id: toInt(r.id),
      orderNumber: String(r.order_number),
      createdAt: r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at)),
      status: r.status as OrderStatus,
      paymentStatus: r.payment_status as PaymentStatus,
      userId: toInt(r.user_id),
      customerEmail: String(r.customer_email),
      customerPhone: (r.customer_phone as string | null) ?? null,
      currency: String(r.currency),
      subtotalMinor: toInt(r.subtotal_cents),
      taxMinor: toInt(r.tax_cents),
      shippingMinor: toInt(r.shipping_cents),
      discountMinor: toInt(r.discount_cents),
      totalMinor: toInt(r.total_cents),
      shippingAddress: String(r.shipping_address),
      shippingCity: String(r.shipping_city),
      shippingState: (r.shipping_state as string | null) ?? null,
      shippingPostalCode: String(r.shipping_postal_code),
      shippingCountry: String(r.shipping_country),
      trackingNumber: (r.tracking_number as string | null) ?? null,
      notes: (r.notes as string | null) ?? null,
      itemCount: toInt(r.item_count),
    }));
  }

  return { search, exportBatch };
}
