// Repairs what a crash between a stock update and the order's commit left behind: a pending
// reservation has no order (the order's transaction marks it applied), so its stock goes back.
// Under the product's lock, the current stock tells whether the PATCH happened at all.

import type { Database } from '../data/database.js';
import { withProductLocks } from '../data/stock-locks.js';
import type { StockReservations } from '../data/stock-reservations.js';
import type { Catalog } from './ports.js';

export interface ReconcilerDeps {
  db: Database;
  reservations: StockReservations;
  catalog: Catalog;
  /** pending rows younger than this may still belong to a live request */
  graceSeconds?: number;
  intervalMs?: number;
  log?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

export function createStockReconciler(deps: ReconcilerDeps) {
  let timer: NodeJS.Timeout | null = null;

  async function runOnce(): Promise<{ restored: number; untouched: number; review: number }> {
    const result = { restored: 0, untouched: 0, review: 0 };
    for (const r of await deps.reservations.stalePending(deps.graceSeconds ?? 60)) {
      await withProductLocks(deps.db, [r.productId], async () => {
        const product = await deps.catalog.getProduct(r.productId, {});
        const current = product?.stock ?? null;
        if (current === r.stockAfter) {
          await deps.catalog.setStock(r.productId, r.stockBefore, {});
          await deps.reservations.mark(r.id, 'compensated');
          result.restored += 1;
        } else if (current === r.stockBefore) {
          await deps.reservations.mark(r.id, 'compensated'); // the PATCH never happened
          result.untouched += 1;
        } else {
          // someone else changed the stock since (a restock?): a person has to decide
          await deps.reservations.mark(r.id, 'needs_review');
          result.review += 1;
        }
      });
    }
    if (result.restored + result.review > 0) deps.log?.warn({ ...result }, 'stock reconciled after an interrupted checkout');
    return result;
  }

  return {
    runOnce,
    start(): void {
      const tick = () => {
        runOnce()
          .catch((err: unknown) => deps.log?.warn({ error: (err as Error).name }, 'stock reconciliation failed'))
          .finally(() => {
            timer = setTimeout(tick, deps.intervalMs ?? 30_000);
            timer.unref();
          });
      };
      tick();
    },
    stop(): void {
      if (timer) clearTimeout(timer);
    },
  };
}
