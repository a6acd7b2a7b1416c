// Checkouts without stock share transactions under load: at most COMMITTERS transactions run at
// once, each taking every order waiting when it starts (up to MAX_BATCH). On its own an order
// commits at once; many at a time cost one BEGIN/COMMIT (and one WAL flush) per group.

import { admit, insertOrders, logCreated, MAX_BATCH, type OrderToWrite } from './checkout-writes.js';
import { createKeyedBatcher } from './keyed-batcher.js';
import type { OrderCore } from './order-core.js';
import type { OrderRecord } from '../domain/records.js';

/** Transactions that commit orders without stock at once (the rest of the pool, 10 by default, stays for reads). */
const COMMITTERS = 3;

/** All such checkouts are one queue: the key only names it. */
const ALL = 'orders';

export function createGroupCommit(core: OrderCore): (order: OrderToWrite) => Promise<OrderRecord> {
  const batcher = createKeyedBatcher<OrderToWrite, OrderRecord>({
    maxBatch: MAX_BATCH,
    runnersPerKey: COMMITTERS,
    async run(_key, take) {
      const group = take();
      if (group.length === 0) return;
      const { live, created } = await core.uow.run(async (tx) => {
        const admitted = await admit(core, group, tx);
        return { live: admitted, created: await insertOrders(core, admitted.map((m) => m.input), tx) };
      });
      live.forEach((m, i) => m.resolve(created[i]!));
      logCreated(core, created);
    },
  });
  return (order) => batcher.join(ALL, order);
}
