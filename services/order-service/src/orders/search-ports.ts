// What the admin search and the export need from data/ (src/data/order-search.ts implements it).

import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { OrderSummaryRecord } from '../domain/records.js';

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

/**
 * The columns of an export, in order. Each order's values: ids and counts as integers, created_at as
 * ISO 8601 UTC with milliseconds, amounts as decimal strings ("19.99"), the rest as stored; a
 * missing value is null (an empty CSV field).
 */
export const EXPORT_COLUMNS = [
  'id', 'order_number', 'created_at', 'status', 'payment_status', 'user_id', 'customer_email', 'customer_phone',
  'currency', 'subtotal', 'tax_amount', 'shipping_amount', 'discount_amount', 'total_amount', 'shipping_address',
  'shipping_city', 'shipping_state', 'shipping_postal_code', 'shipping_country', 'tracking_number', 'notes', 'item_count',
] as const;

export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

/** CSV records (RFC 4180: CRLF, a field with a quote, comma, CR or LF quoted, quotes doubled) or NDJSON lines. */
export type ExportFormat = 'csv' | 'ndjson';

/** One batch of an export as its format renders it: `rows` records in `data` (text or its UTF-8 bytes), oldest first. */
export interface ExportBatch {
  rows: number;
  data: string | Buffer;
  /** the last record's position (null when the batch is empty); may be null too when the batch holds fewer than its limit (nothing to read on from) */
  last: KeysetPosition | null;
}

export interface OrderSearchPort {
  search(criteria: SearchCriteria): Promise<SearchPageRows>;
  /** The first `limit` records after `after` and up to `until` (both by created_at, then id; null: open). */
  exportBatch(args: ExportRange & { after: KeysetPosition | null; until: KeysetPosition | null; limit: number; format: ExportFormat }): Promise<ExportBatch>;
  /** The positions of the every-th, 2·every-th … record after `after`, at most `count` of them (fewer near the end). */
  exportBounds(args: ExportRange & { after: KeysetPosition | null; every: number; count: number }): Promise<KeysetPosition[]>;
}

/** The orders an export covers: created in [from, to), optionally of one status. */
export interface ExportRange {
  from: Date;
  to: Date;
  status?: OrderStatus;
}
