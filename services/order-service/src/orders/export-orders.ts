// The admin export: orders created in [from, to), optionally of one status, oldest first, read in
// keyset batches (each its own statement), so a download of any length pins no transaction.

import { Forbidden, ValidationFailed } from '../domain/errors.js';
import { toDecimalString } from '../domain/money.js';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { Actor } from './ports.js';
import type { KeysetPosition, OrderExportRecord, OrderSearchPort } from './search-ports.js';

export const EXPORT_BATCH_SIZE = 1000;
/** the longest range one export may cover: a year, leap or not */
export const MAX_EXPORT_DAYS = 366;

export interface ExportOrdersQuery {
  from: Date;
  to: Date;
  status?: OrderStatus;
}

/** The columns of an export, in order, and each order's values as the API renders them. */
export const EXPORT_COLUMNS = [
  'id', 'order_number', 'created_at', 'status', 'payment_status', 'user_id', 'customer_email', 'customer_phone',
  'currency', 'subtotal', 'tax_amount', 'shipping_amount', 'discount_amount', 'total_amount', 'shipping_address',
  'shipping_city', 'shipping_state', 'shipping_postal_code', 'shipping_country', 'tracking_number', 'notes', 'item_count',
] as const;

export type ExportValue = string | number | null;

export function exportValuesOf(o: OrderExportRecord): ExportValue[] {
  return [
    o.id, o.orderNumber, o.createdAt.toISOString(), o.status, o.paymentStatus, o.userId, o.customerEmail, o.customerPhone,
    o.currency, toDecimalString(o.subtotalMinor), toDecimalString(o.taxMinor), toDecimalString(o.shippingMinor),
    toDecimalString(o.discountMinor), toDecimalString(o.totalMinor), o.shippingAddress, o.shippingCity, o.shippingState,
    o.shippingPostalCode, o.shippingCountry, o.trackingNumber, o.notes, o.itemCount,
  ];
}

export interface OrderExport {
  /** e.g. orders-20240501T000000Z-20240601T000000Z (without extension) */
  fileStem: string;
  /** the batches, until the range is read or the signal aborts (checked before every statement) */
  batches(signal: AbortSignal): AsyncGenerator<OrderExportRecord[]>;
}

export function createExportOrders(deps: { store: OrderSearchPort; batchSize?: number }) {
  const batchSize = deps.batchSize ?? EXPORT_BATCH_SIZE;
  /** Checks the request (before any byte is sent) and describes the export; nothing is read yet. */
  return function exportOrders(actor: Actor, query: ExportOrdersQuery): OrderExport {
    if (actor.role !== 'admin') throw new Forbidden();
    const { from, to, status } = query;
    // to is exclusive (a date to means the next day's start): from=2024-05-02&to=2024-05-01 meets here
    if (from.getTime() >= to.getTime()) {
      throw new ValidationFailed('Invalid request: from must be before to', [{ field: 'from', message: 'must be before to' }]);
    }
    if (to.getTime() - from.getTime() > MAX_EXPORT_DAYS * 86_400_000) {
      const message = `the range may cover at most ${MAX_EXPORT_DAYS} days; export longer periods in parts`;
      throw new ValidationFailed(`Invalid request: to ${message}`, [{ field: 'to', message }]);
    }
    const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    return {
      fileStem: `orders-${stamp(from)}-${stamp(to)}${status ? `-${status}` : ''}`,
      async *batches(signal: AbortSignal) {
        let after: KeysetPosition | null = null;
        while (!signal.aborted) {
          const rows = await deps.store.exportBatch({ from, to, status, after, limit: batchSize });
          if (rows.length > 0) yield rows;
          if (rows.length < batchSize) return;
          const last = rows[rows.length - 1]!;
          after = { key: last.key, id: last.id };
        }
      },
    };
  };
}

export type ExportOrders = ReturnType<typeof createExportOrders>;
