// The order tables behind the use cases' OrderRepository port: reads, the insert of new orders,
// status changes and field updates, and the range statistics, each in a file of its own.

import type { OrderRepository } from '../orders/ports.js';
import type { Database } from './database.js';
import { createOrderInsert } from './order-insert.js';
import { createOrderReads } from './order-reads.js';
import { createOrderTransitions } from './order-transitions.js';
import { createRangeStats } from './range-stats.js';

export function createOrderRepository(db: Database): OrderRepository & ReturnType<typeof createRangeStats> {
  return { ...createOrderReads(db), ...createOrderInsert(db), ...createOrderTransitions(db), ...createRangeStats(db) };
}
