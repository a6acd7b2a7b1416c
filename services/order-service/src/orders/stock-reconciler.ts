// Repairs, in the background, what a crash between a stock update and the order's commit left
// behind on products nobody has ordered since (the next order of a product repairs it first anyway):
// pending reservations past their grace, each product under its lock (orders/stock-repair.ts).

import type { Catalog, StockLocks, StockReservations } from './ports.js';
import { repairOrphanedStock, type RepairResult } from './stock-repair.js';

export interface ReconcilerDeps {
  stockLocks: StockLocks;
  reservations: StockReservations;
  catalog: Catalog;
  /** only rows older than this are looked at (a younger one most likely has a live checkout holding its lock) */
  graceSeconds?: number;
  intervalMs?: number;
  log?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

export function createStockReconciler(deps: ReconcilerDeps) {
  let timer: NodeJS.Timeout | null = null;

  async function runOnce(): Promise<RepairResult> {
    const result: RepairResult = { restored: 0, untouched: 0, review: 0 };
    const products = [...new Set((await deps.reservations.stalePending(deps.graceSeconds ?? 60)).map((r) => r.productId))];
    for (const productId of products) {
      const repaired = await deps.stockLocks.withProductLocks([productId], (locked) => repairOrphanedStock([productId], deps, {}, locked.tx));
      result.restored += repaired.restored;
      result.untouched += repaired.untouched;
      result.review += repaired.review;
    }
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
