// Gives back the stock of checkouts that died between their stock update and their order's commit
// (a crash, a SIGKILL, a lost connection, a stalled process whose transaction the server ended). A
// pending reservation is an orphan when the transaction that held its products' locks is no longer
// running (PostgreSQL's pg_xact_status; it marks the row applied when it commits); it runs under the
// products' locks and before any new stock write, so the product's stock still tells whether the
// orphan's PATCH happened: stock = after → give it back; stock = before → it never happened. Rows
// are taken newest first, so a chain of orphans on one product unwinds in reverse order. Its marks
// may go in the lock transaction: if that aborts after giving stock back, the next repair finds the
// stock at the row's before and marks it then.

import type { Catalog, PeerContext, StockReservations, Tx } from './ports.js';

export interface RepairResult {
  restored: number;
  untouched: number;
  review: number;
}

export async function repairOrphanedStock(
  productIds: number[],
  deps: { reservations: StockReservations; catalog: Catalog; log?: { warn(obj: object, msg?: string): void } },
  ctx: PeerContext = {},
  tx?: Tx,
): Promise<RepairResult> {
  const result: RepairResult = { restored: 0, untouched: 0, review: 0 };
  // never a live checkout's stock (under our locks none can be live: it would hold one of them)
  const pending = (await deps.reservations.pendingFor(productIds, tx)).filter((r) => r.holder !== 'in progress');
  if (pending.length === 0) return result;
  for (const productId of new Set(pending.map((r) => r.productId))) {
    let current = (await deps.catalog.getProduct(productId, ctx))?.stock ?? null;
    for (const r of pending.filter((p) => p.productId === productId)) {
      if (current === r.stockAfter) {
        await deps.catalog.setStock(productId, r.stockBefore, ctx);
        await deps.reservations.mark(r.id, 'compensated', tx);
        current = r.stockBefore;
        result.restored += 1;
      } else if (current === r.stockBefore) {
        await deps.reservations.mark(r.id, 'compensated', tx); // the PATCH never happened
        result.untouched += 1;
      } else {
        // the stock moved outside this service (a restock in the product service?): a person decides
        await deps.reservations.mark(r.id, 'needs_review', tx);
        result.review += 1;
      }
    }
  }
  deps.log?.warn({ ...result }, 'stock repaired after an interrupted checkout');
  return result;
}
