// What other services get in an order's events: its identity, state and money, no addresses.

import { toDecimalString } from '../domain/money.js';
import type { OrderRecord } from '../domain/records.js';

export function toEventPayload(o: OrderRecord) {
  return {
    order_id: o.id,
    order_number: o.orderNumber,
    user_id: o.userId,
    status: o.status,
    payment_status: o.paymentStatus,
    currency: o.currency,
    total_amount: toDecimalString(o.totalMinor),
    items: o.items.map((i) => ({ product_id: i.productId, quantity: i.quantity })),
    version: o.version,
  };
}
