// The admin search's page (GET /admin/orders with q, sort or cursor) and the export
// (GET /admin/orders/export): CSV or NDJSON by Accept, written with back-pressure, stopped when the
// client goes away.
import type { Request, Response } from 'express';
import type { Context } from 'openapi-backend';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { OrderExport, ExportOrdersQuery } from '../orders/export-orders.js';
import type { SearchOrdersQuery } from '../orders/search-orders.js';
import type { Actor } from '../orders/ports.js';
import { EXPORT_COLUMNS } from '../orders/search-ports.js';
import { actorOf } from './api.js';
import { HttpProblem } from './problem.js';
import { publicPath } from './public-path.js';

type Json = Record<string, unknown>;

/** What these handlers need from the use cases, in the document's JSON shapes. */
export interface OrderSearchUseCases {
  searchOrders(actor: Actor, query: SearchOrdersQuery): Promise<{ orders: Json[]; nextCursor: string | null }>;
  exportOrders(actor: Actor, query: ExportOrdersQuery): OrderExport;
}

/** Any of these makes the admin list a search with keyset pages (without them it stays the page/size list). */
export function isSearchRequest(query: Record<string, unknown>): boolean {
  return query.q !== undefined || query.sort !== undefined || query.cursor !== undefined;
}

/** A search page: the same JSON array as the list; the next page in X-Next-Cursor and Link rel="next". */
export async function sendSearchPage(
  orders: OrderSearchUseCases,
  req: Request,
  res: Response,
  query: SearchOrdersQuery,
): Promise<void> {
  const { orders: page, nextCursor } = await orders.searchOrders(actorOf(req), query);
  if (nextCursor !== null) {
    const params = new URLSearchParams(req.query as Record<string, string>);
    params.delete('page');
    params.set('cursor', nextCursor);
    res.setHeader('X-Next-Cursor', nextCursor);
    res.setHeader('Link', `<${publicPath(req, req.path)}?${params.toString()}>; rel="next"`);
  }
  res.json(page);
}

const FORMATS = {
  'text/csv': { format: 'csv', contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv', header: `${EXPORT_COLUMNS.join(',')}\r\n` },
  'application/x-ndjson': { format: 'ndjson', contentType: 'application/x-ndjson; charset=utf-8', extension: 'ndjson', header: '' },
} as const;

export function exportHandler(orders: OrderSearchUseCases, range: (q: Record<string, unknown>) => { from: Date; to: Date }) {
  return async (c: Context, req: Request, res: Response): Promise<void> => {
    const q = c.request.query as Record<string, unknown>;
    const type = req.accepts(Object.keys(FORMATS));
    if (type === false) {
      throw new HttpProblem(406, 'not-acceptable', 'The export is text/csv or application/x-ndjson; the Accept header allows neither');
    }
    const format = FORMATS[type as keyof typeof FORMATS];
    const exported = orders.exportOrders(actorOf(req), { ...range(q), status: q.status as OrderStatus | undefined });

    const stop = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) stop.abort();
    };
    res.on('close', onClose);
    const batches = exported.batches(format.format, stop.signal);
    try {
      // the first batch before any header: a database that is not there is still a 503 problem
      let batch = await batches.next();
      res.status(200);
      res.setHeader('Content-Type', format.contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${exported.fileStem}.${format.extension}"`);
      res.setHeader('Cache-Control', 'no-store');
      if (format.header) res.write(format.header);
      while (!batch.done && !stop.signal.aborted) {
        const more = res.write(batch.value.data);
        // for the access log's line
        res.locals.rowsSent = ((res.locals.rowsSent as number | undefined) ?? 0) + batch.value.rows;
        if (!more) await drainedOrClosed(res);
        if (stop.signal.aborted) break;
        batch = await batches.next();
      }
      if (!stop.signal.aborted) res.end();
    } finally {
      res.off('close', onClose);
      await batches.return(undefined);
    }
  };
}

/** Resolves when the socket takes more data or is gone (a client that left never drains). */
function drainedOrClosed(res: Response): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
