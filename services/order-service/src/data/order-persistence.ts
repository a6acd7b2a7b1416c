// Every adapter the order use cases persist through, built once over one database.

import type { OrderPersistence } from '../orders/ports.js';
import { poolSizeOf, type Database } from './database.js';
import { createIdempotencyStore, type IdempotencyOptions } from './idempotency-store.js';
import { createOrderRepository } from './order-repository.js';
import { createOutbox } from './outbox.js';
import { createStatsStore } from './stats-store.js';
import { createStockLocks } from './stock-locks.js';
import { createStockReservations } from './stock-reservations.js';
import { createUnitOfWork } from './unit-of-work.js';

export function createOrderPersistence(db: Database, options: { idempotency?: IdempotencyOptions } = {}): OrderPersistence {
  return {
    uow: createUnitOfWork(db),
    orders: createOrderRepository(db),
    idempotency: createIdempotencyStore(db, options.idempotency ?? { ttlHours: 24 }),
    outbox: createOutbox(db),
    reservations: createStockReservations(db),
    stockLocks: createStockLocks(db, { poolMax: poolSizeOf(db) }),
    stats: createStatsStore(db),
  };
}
