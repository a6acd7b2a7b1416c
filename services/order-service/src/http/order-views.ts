// The JSON shapes of the API's orders (snake_case, ISO times). Amounts on orders and items are decimal strings
// with two decimals ("107.90": the storefront prints them as they come); statistics are JSON numbers.

import { toDecimalString, toMajorNumber } from '../domain/money.js';
import { ORDER_STATUSES } from '../domain/order-lifecycle.js';
import type { OrderRecord, OrderStats, OrderSummaryRecord } from '../domain/records.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toOrderJson(o: OrderRecord) {
  return {
    id: o.id,
    order_number: o.orderNumber,
    user_id: o.userId,
    customer_email: o.customerEmail,
    customer_phone: o.customerPhone,
    status: o.status,
    payment_status: o.paymentStatus,
    currency: o.currency,
    subtotal: toDecimalString(o.subtotalMinor),
    tax_amount: toDecimalString(o.taxMinor),
    shipping_amount: toDecimalString(o.shippingMinor),
    discount_amount: toDecimalString(o.discountMinor),
    total_amount: toDecimalString(o.totalMinor),
    shipping_address: o.shipping.address,
    shipping_city: o.shipping.city,
    shipping_state: o.shipping.state ?? null,
    shipping_postal_code: o.shipping.postal_code,
    shipping_country: o.shipping.country,
    billing_address: o.billing,
    notes: o.notes,
    tracking_number: o.trackingNumber,
    version: o.version,
    created_at: iso(o.createdAt),
    updated_at: iso(o.updatedAt),
    confirmed_at: iso(o.confirmedAt),
    processing_at: iso(o.processingAt),
    shipped_at: iso(o.shippedAt),
    delivered_at: iso(o.deliveredAt),
    cancelled_at: iso(o.cancelledAt),
    refunded_at: iso(o.refundedAt),
    order_items: o.items.map((i) => ({
      id: i.id,
      product_id: i.productId,
      sku: i.sku,
      product_name: i.productName,
      product_image: i.productImage,
      quantity: i.quantity,
      unit_price: toDecimalString(i.unitPriceMinor),
      total_price: toDecimalString(i.totalPriceMinor),
    })),
    status_history: o.history.map((h) => ({
      from_status: h.fromStatus,
      to_status: h.toStatus,
      actor_id: h.actorId,
      actor_role: h.actorRole,
      reason: h.reason,
      created_at: iso(h.createdAt),
    })),
  };
}

export function toOrderSummaryJson(o: OrderSummaryRecord) {
  return {
    id: o.id,
    order_number: o.orderNumber,
    user_id: o.userId,
    customer_email: o.customerEmail,
    status: o.status,
    payment_status: o.paymentStatus,
    total_amount: toDecimalString(o.totalMinor),
    currency: o.currency,
    item_count: o.itemCount,
    created_at: iso(o.createdAt),
  };
}

export function toStatsJson(s: OrderStats) {
  const perStatus = Object.fromEntries(ORDER_STATUSES.map((st) => [`${st}_orders`, s.byStatus[st]]));
  const revenue = toMajorNumber(s.revenueMinor);
  return {
    total_orders: s.totalOrders,
    ...perStatus,
    completed_orders: s.byStatus.delivered,
    total_revenue: revenue,
    revenue,
    average_order_value: toMajorNumber(s.averageOrderValueMinor),
    orders_today: s.ordersToday,
    orders_this_month: s.ordersThisMonth,
    from: iso(s.from),
    to: iso(s.to),
    currency: s.currency,
  };
}
