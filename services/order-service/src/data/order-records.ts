// Rows of the order tables (as pg and json_agg return them) as the records the use cases see.

import type { OrderStatus, PaymentStatus } from '../domain/order-lifecycle.js';
import type { Address, OrderRecord, StatusChangeRecord } from '../domain/records.js';
import { toInt } from './database.js';
import type { OrderItemRow, OrderRow, OrderStatusHistoryRow } from './rows.js';

/** An order row with its items and history aggregated beside it. */
export type OrderRowWithLines = OrderRow & { items: OrderItemRow[]; history: OrderStatusHistoryRow[] };

export const date = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

export function toOrderRecord(row: OrderRowWithLines): OrderRecord {
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
    items: row.items.map((i) => ({
      id: toInt(i.id),
      productId: toInt(i.product_id),
      sku: i.sku,
      productName: i.product_name,
      productImage: i.product_image,
      quantity: i.quantity,
      unitPriceMinor: toInt(i.unit_price_cents),
      totalPriceMinor: toInt(i.total_price_cents),
    })),
    history: row.history.map(toStatusChange),
  };
}

function toStatusChange(h: OrderStatusHistoryRow): StatusChangeRecord {
  return {
    fromStatus: (h.from_status as OrderStatus | null) ?? null,
    toStatus: h.to_status as OrderStatus,
    actorId: h.actor_id == null ? null : toInt(h.actor_id),
    actorRole: h.actor_role,
    reason: h.reason,
    createdAt: date(h.created_at)!,
  };
}
