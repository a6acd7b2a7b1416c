// The order tables as the use cases see them: a unit of work and the repositories that run in it.
// src/data/ implements these over PostgreSQL; `Tx` is opaque here and only the adapters open it.

import type { OrderStatus, PaymentStatus } from '../../domain/order-lifecycle.js';
import type { NewOrderRecord, OrderRecord, OrderStats, OrderSummaryRecord } from '../../domain/records.js';

declare const transactionBrand: unique symbol;

/** One open transaction, handed to every repository call that must be part of it. */
export interface Tx {
  readonly [transactionBrand]: true;
}

export interface UnitOfWork {
  /** runs `work` in one transaction: committed when it resolves, rolled back when it throws */
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** Who wrote a change, as the history records it. */
export interface ChangeAuthor {
  userId: number;
  role: string;
}

export interface OrderTransition {
  id: number;
  to: OrderStatus;
  sources: OrderStatus[];
  paidOnlySources: OrderStatus[];
  ownerId?: number;
  expectedVersion?: number;
  /** the lifecycle table's timestamp column for `to`, never input */
  timestampColumn: string | null;
  trackingNumber?: string | null;
}

export interface OrderFields {
  paymentStatus?: PaymentStatus;
  trackingNumber?: string | null;
  notes?: string | null;
}

export interface OrderListFilter {
  userId?: number;
  status?: OrderStatus;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface StatsRange {
  from?: Date;
  to?: Date;
  todayStart: Date;
  monthStart: Date;
}

export interface OrderRepository {
  findById(id: number, tx?: Tx): Promise<OrderRecord | null>;
  /**
   * Each order with its items, first history row and roll-up counts, as inserted, in the given
   * order; null for one whose order number is taken (nothing of it written; the transaction goes on).
   */
  insertAll(orders: Array<{ order: NewOrderRecord; author: ChangeAuthor }>, tx: Tx): Promise<Array<OrderRecord | null>>;
  addHistory(orderId: number, change: { from: OrderStatus | null; to: OrderStatus; author: ChangeAuthor; reason: string | null }, tx: Tx): Promise<void>;
  /** the one conditional UPDATE that moves an order; the previous status, or null when nothing matched */
  transition(args: OrderTransition, tx: Tx): Promise<OrderStatus | null>;
  /** field updates that are not a status change; false when the order (at that version) is not there */
  updateFields(id: number, fields: OrderFields, expectedVersion: number | undefined, tx: Tx): Promise<boolean>;
  list(filter: OrderListFilter, tx?: Tx): Promise<{ items: OrderSummaryRecord[]; total: number }>;
  stats(range: StatsRange): Promise<OrderStats>;
}

/** Orders and totals of one status in one period. */
export type StatusCounts = Map<OrderStatus, { orders: number; cents: number }>;

export interface ProductSales {
  productId: number;
  productName: string;
  units: number;
  revenueMinor: number;
  orders: number;
}

/** The roll-ups behind the trend and best-product statistics. */
export interface StatsStore {
  /** counts per status for each period between consecutive bounds (epoch milliseconds) */
  periods(bounds: number[]): Promise<StatusCounts[]>;
  /** best sellers over UTC days [firstDay, endDay) */
  topProducts(range: { firstDay: string; endDay: string; limit: number }): Promise<ProductSales[]>;
}
