// What the admin list, the search and the export share: one spelling of each filter's WHERE
// condition, bound by name (never interpolated), and one reading of a summary row.

import type { OrderStatus, PaymentStatus } from '../domain/order-lifecycle.js';
import type { OrderSummaryRecord } from '../domain/records.js';
import { addBound } from './bound-clauses.js';
import { toInt } from './database.js';

export interface OrderFilter {
  userId?: number;
  status?: OrderStatus;
  /** created at or after */
  from?: Date;
  /** created before */
  to?: Date;
}

// created_at as UTC text with microseconds: a JS Date keeps milliseconds, and a cursor that lost the
// rest would skip or repeat rows that share a millisecond
export const createdKeyOf = (instant: string) => `to_char(${instant} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
export const CREATED_KEY = createdKeyOf('o.created_at');

/** Appends the filter's conditions on orders `o` to conds and their values to bind. */
export function addOrderFilter(filter: OrderFilter, conds: string[], bind: Record<string, unknown>): void {
  addBound(conds, bind, [
    ['o.user_id = $user', 'user', filter.userId],
    ['o.status = $status', 'status', filter.status],
    ['o.created_at >= $from', 'from', filter.from],
    ['o.created_at < $to', 'to', filter.to],
  ]);
}

/** A row of the list's and the search's SELECT (orders o plus item_count) as a summary record. */
export function summaryOf(r: Record<string, unknown>): OrderSummaryRecord {
  return {
    id: toInt(r.id),
    orderNumber: String(r.order_number),
    userId: toInt(r.user_id),
    customerEmail: String(r.customer_email),
    status: r.status as OrderStatus,
    paymentStatus: r.payment_status as PaymentStatus,
    totalMinor: toInt(r.total_cents),
    currency: String(r.currency).trim(),
    itemCount: toInt(r.item_count),
    createdAt: r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at)),
  };
}
