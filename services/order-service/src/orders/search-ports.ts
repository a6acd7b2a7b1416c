// What the admin search and the export need from data/ (src/data/order-search.ts implements it).

import type { OrderStatus, PaymentStatus } from '../domain/order-lifecycle.js';
import type { OrderAmounts, OrderSummaryRecord } from '../domain/records.js';

/** One search form; each has its own index. */
export type SearchForm =
  | { kind: 'order_number_prefix'; prefix: string }
  | { kind: 'email'; email: string }
  | { kind: 'tracking_number'; trackingNumber: string }
  | { kind: 'product'; productId: number };

export type SortField = 'created_at' | 'total_amount';
export type SortDirection = 'asc' | 'desc';

/** Where a page starts: after this sort key (created_at as UTC text with microseconds, or total_cents) and id. */
export interface KeysetPosition {
  key: string;
  id: number;
}

export interface SearchCriteria {
  form?: SearchForm;
  status?: OrderStatus;
  userId?: number;
  from?: Date;
  to?: Date;
  sort: SortField;
  direction: SortDirection;
  after?: KeysetPosition;
  limit: number;
  offset: number;
}

export interface SearchPageRows {
  items: OrderSummaryRecord[];
  /** the last row's position when more rows follow */
  next: KeysetPosition | null;
}

/** One exported order, flat: amounts in integer minor units. */
export interface OrderExportRecord extends OrderAmounts {
  id: number;
  orderNumber: string;
  createdAt: Date;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  userId: number;
  customerEmail: string;
  customerPhone: string | null;
  shippingAddress: string;
  shippingCity: string;
  shippingState: string | null;
  shippingPostalCode: string;
  shippingCountry: string;
  trackingNumber: string | null;
  notes: string | null;
  itemCount: number;
}

export interface OrderSearchPort {
  search(criteria: SearchCriteria): Promise<SearchPageRows>;
  exportBatch(args: {
    from: Date;
    to: Date;
    status?: OrderStatus;
    after: KeysetPosition | null;
    limit: number;
  }): Promise<Array<OrderExportRecord & { key: string }>>;
}
