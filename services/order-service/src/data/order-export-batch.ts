// One batch of the admin export: orders in [from, to), optionally of one status, oldest first,
// after a keyset position; one statement, so nothing holds a session between batches.

import { QueryTypes } from 'sequelize';
import type { OrderStatus, PaymentStatus } from '../domain/order-lifecycle.js';
import type { OrderSearchPort } from '../orders/search-ports.js';
import { toInt, type Database } from './database.js';
import { CREATED_KEY } from './order-filters.js';

/** The marker the export's statements carry (tests find them in pg_stat_activity by it). */
export const EXPORT_QUERY_MARKER = '/* order-export */';

const text = (v: unknown): string | null => (v as string | null) ?? null;

export function createExportBatch(db: Database): OrderSearchPort['exportBatch'] {
  return async function exportBatch(args) {
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
      customerPhone: text(r.customer_phone),
      currency: String(r.currency),
      subtotalMinor: toInt(r.subtotal_cents),
      taxMinor: toInt(r.tax_cents),
      shippingMinor: toInt(r.shipping_cents),
      discountMinor: toInt(r.discount_cents),
      totalMinor: toInt(r.total_cents),
      shippingAddress: String(r.shipping_address),
      shippingCity: String(r.shipping_city),
      shippingState: text(r.shipping_state),
      shippingPostalCode: String(r.shipping_postal_code),
      shippingCountry: String(r.shipping_country),
      trackingNumber: text(r.tracking_number),
      notes: text(r.notes),
      itemCount: toInt(r.item_count),
    }));
  };
}
