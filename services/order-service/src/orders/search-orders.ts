// The admin search: which form a query is (order-number prefix, email, tracking number, product id),
// sorted by created_at or total with keyset pages behind an opaque cursor.

import { createHash } from 'node:crypto';
import { Forbidden, ValidationFailed } from '../domain/errors.js';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { Actor } from './ports.js';
import type { OrderSummaryRecord } from '../domain/records.js';
import type { KeysetPosition, OrderSearchPort, SearchForm, SortDirection, SortField } from './search-ports.js';

export interface SearchOrdersQuery {
  q?: string;
  /** created_at, -created_at (the default), total_amount, -total_amount */
  sort?: string;
  cursor?: string;
  page?: number;
  size?: number;
  status?: OrderStatus;
  userId?: number;
  from?: Date;
  to?: Date;
}

export interface SearchOrdersResult {
  items: OrderSummaryRecord[];
  /** the cursor of the next page, null on the last one */
  nextCursor: string | null;
}

const MAX_SIZE = 100;
const EXPLICIT = /^(number|email|tracking|product):(.*)$/s;

/** A query's search form: an explicit `number:`, `email:`, `tracking:` or `product:` prefix, or its shape. */
export function searchFormOf(raw: string): SearchForm {
  const q = raw.trim();
  const explicit = EXPLICIT.exec(q);
  const [kind, value] = explicit ? [explicit[1]!, explicit[2]!.trim()] : [inferredKind(q), q];
  if (value === '') throw invalid('q', 'must not be empty after its prefix');
  if (kind === 'product') {
    const productId = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
    if (!(productId >= 1)) throw invalid('q', 'product: needs a positive integer product id');
    return { kind: 'product', productId };
  }
  if (kind === 'email') return { kind: 'email', email: value };
  if (kind === 'number') return { kind: 'order_number_prefix', prefix: value.toUpperCase() };
  return { kind: 'tracking_number', trackingNumber: value };
}

function inferredKind(q: string): 'number' | 'email' | 'tracking' | 'product' {
  // up to 15 digits is a product id; longer digit strings are tracking numbers (USPS has 20-22)
  if (/^\d{1,15}$/.test(q)) return 'product';
  if (q.includes('@')) return 'email';
  if (/^ORD-/i.test(q)) return 'number';
  return 'tracking';
}

export function sortOf(raw: string | undefined): { sort: SortField; direction: SortDirection } {
  const value = raw ?? '-created_at';
  const direction: SortDirection = value.startsWith('-') ? 'desc' : 'asc';
  const field = value.replace(/^-/, '');
  if (field !== 'created_at' && field !== 'total_amount') throw invalid('sort', 'must be created_at or total_amount, with - for descending');
  return { sort: field, direction };
}

interface CursorBody {
  /** sort, e.g. "-created_at" */
  s: string;
  /** fingerprint of the query and filters the cursor was made for */
  f: string;
  k: string;
  i: number;
}

export function encodeCursor(body: CursorBody): string {
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function decodeCursor(cursor: string, sort: string, fingerprint: string): KeysetPosition {
  let body: Partial<CursorBody> | null = null;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    body = null;
  }
  const keyPattern = sort.endsWith('total_amount') ? /^\d{1,18}$/ : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
  if (!body || typeof body !== 'object' || typeof body.k !== 'string' || !Number.isSafeInteger(body.i) || (body.i as number) < 1) {
    throw invalid('cursor', 'is not a cursor this service gave out');
  }
  if (body.s !== sort || body.f !== fingerprint) throw invalid('cursor', 'belongs to another search or sort; start again without it');
  if (!keyPattern.test(body.k)) throw invalid('cursor', 'is not a cursor this service gave out');
  return { key: body.k, id: body.i as number };
}

function fingerprintOf(q: SearchOrdersQuery): string {
  const parts = [q.q?.trim() ?? '', q.status ?? '', q.userId ?? '', q.from?.toISOString() ?? '', q.to?.toISOString() ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

function invalid(field: string, message: string): ValidationFailed {
  return new ValidationFailed(`Invalid request: ${field} ${message}`, [{ field, message }]);
}

export function createSearchOrders(deps: { store: OrderSearchPort }) {
  return async function searchOrders(actor: Actor, query: SearchOrdersQuery): Promise<SearchOrdersResult> {
    if (actor.role !== 'admin') throw new Forbidden();
    const { sort, direction } = sortOf(query.sort);
    const sortText = `${direction === 'desc' ? '-' : ''}${sort}`;
    const fingerprint = fingerprintOf(query);
    if (query.cursor !== undefined && query.page !== undefined && query.page !== 1) {
      throw invalid('cursor', 'and page cannot be combined: a cursor says where the page starts');
    }
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sortText, fingerprint);
    const limit = Math.min(Math.max(Math.trunc(query.size ?? 20), 1), MAX_SIZE);
    const offset = after ? 0 : (Math.max(Math.trunc(query.page ?? 1), 1) - 1) * limit;
    const { items, next } = await deps.store.search({
      form: query.q === undefined ? undefined : searchFormOf(query.q),
      status: query.status,
      userId: query.userId,
      from: query.from,
      to: query.to,
      sort,
      direction,
      after,
      limit,
      offset,
    });
    return { items, nextCursor: next ? encodeCursor({ s: sortText, f: fingerprint, k: next.key, i: next.id }) : null };
  };
}

export type SearchOrders = ReturnType<typeof createSearchOrders>;
