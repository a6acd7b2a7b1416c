// The admin export: orders created in [from, to), optionally of one status, oldest first, read in
// keyset batches (each its own statement), so a download of any length pins no transaction; the
// columns are EXPORT_COLUMNS (search-ports.ts), each batch comes rendered in the format asked for.

import { Forbidden, ValidationFailed } from '../domain/errors.js';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { Actor } from './ports.js';
import type { ExportBatch, ExportFormat, ExportRange, KeysetPosition, OrderSearchPort } from './search-ports.js';

// a batch is one statement and one text value: large enough that planning and round trips are a
// small share, small enough that a batch stays under a megabyte or two
export const EXPORT_BATCH_SIZE = 5000;
/** the longest range one export may cover: a year, leap or not */
export const MAX_EXPORT_DAYS = 366;

export interface ExportOrdersQuery {
  from: Date;
  to: Date;
  status?: OrderStatus;
}

export interface OrderExport {
  /** e.g. orders-20240501T000000Z-20240601T000000Z (without extension) */
  fileStem: string;
  /** the batches in `format`, until the range is read or the signal aborts (checked before every statement) */
  batches(format: ExportFormat, signal: AbortSignal): AsyncGenerator<ExportBatch>;
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
      batches: (format: ExportFormat, signal: AbortSignal) => readBatches({ store: deps.store, batchSize, range: { from, to, status }, format, signal }),
    };
  };
}

/** Batches whose ranges are known ahead, read this many at a time while the one before is written: the database renders them on other cores. */
const AHEAD = 2;
/** Range ends looked up at a time (one index-only scan of this many batches' rows). */
const BOUNDS_AT_ONCE = 8;

/**
 * The export's batches in order. The range is cut at every batchSize-th order (positions looked up
 * ahead), so the next batches are read while one is written; the orders after the last cut (fewer
 * than a batch, or created since) follow batch by batch.
 */
async function* readBatches(args: { store: OrderSearchPort; batchSize: number; range: ExportRange; format: ExportFormat; signal: AbortSignal }) {
  const { store, batchSize, range, format, signal } = args;
  const reading: Array<{ batch: Promise<ExportBatch>; until: KeysetPosition }> = [];
  // a cut range holds batchSize orders, or more if some were committed into it since (created_at
  // is the transaction's start): room for them, and the rest read after it should it fill up
  const limit = 2 * batchSize;
  let after: KeysetPosition | null = null;
  let ends: KeysetPosition[] = [];
  let cut = true;
  try {
    while (!signal.aborted) {
      while (cut && reading.length < AHEAD) {
        if (ends.length === 0) ends = await store.exportBounds({ ...range, after, every: batchSize, count: BOUNDS_AT_ONCE });
        const until = ends.shift();
        if (!until) {
          cut = false;
          break;
        }
        const batch = store.exportBatch({ ...range, after, until, limit, format });
        // awaited below in order; a failure meanwhile is not an unhandled rejection
        batch.catch(() => undefined);
        reading.push({ batch, until });
        after = until;
      }
      const next = reading.shift();
      if (!next) break;
      let batch = await next.batch;
      if (batch.rows > 0) yield batch;
      while (batch.rows === limit && batch.last && !signal.aborted) {
        batch = await store.exportBatch({ ...range, after: batch.last, until: next.until, limit, format });
        if (batch.rows > 0) yield batch;
      }
    }
    while (!signal.aborted) {
      const batch = await store.exportBatch({ ...range, after, until: null, limit: batchSize, format });
      if (batch.rows > 0) yield batch;
      if (batch.rows < batchSize || !batch.last) return;
      after = batch.last;
    }
  } finally {
    // a stopped export leaves no statement of its own running
    await Promise.allSettled(reading.map((r) => r.batch));
  }
}

export type ExportOrders = ReturnType<typeof createExportOrders>;
