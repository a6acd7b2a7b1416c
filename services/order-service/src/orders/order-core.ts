// What every order use case is built from: the service's dependencies and the data adapters made
// from them once, so all use cases share one repository, idempotency store, outbox and stock record.

import type { Database } from '../data/database.js';
import { createIdempotencyStore, type IdempotencyStore } from '../data/idempotency-store.js';
import { createOrderRepository, type OrderRepository } from '../data/order-repository.js';
import { createOutbox, type Outbox } from '../data/outbox.js';
import { createStockReservations, type StockReservations } from '../data/stock-reservations.js';
import { Forbidden } from '../domain/errors.js';
import type { Pricing } from '../domain/totals.js';
import type { AccountGate } from './account-gate.js';
import type { Actor, Cart, Catalog } from './ports.js';

export interface OrderServiceDeps {
  sequelize: Database;
  catalog: Catalog;
  cart: Cart;
  /** asks the user service whether the caller may still buy (off without USER_SERVICE_URL) */
  accountGate?: AccountGate;
  pricing: Pricing;
  clock?: () => Date;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** take and give back stock at the product service (STOCK_MANAGEMENT) */
  stockManagement?: boolean;
  idempotency?: { ttlHours: number; leaseSeconds?: number };
  /**
   * an embedded database with one backend session (PGlite in development): a second connection
   * waits for any open transaction, so the stock record shares the lock transaction (no crash safety)
   */
  singleSession?: boolean;
  /** what the stock lock transaction's deadlines are made of */
  deadlines?: { statementTimeoutMs: number; peerTimeoutMs: number };
  /** test hooks: called at fault points (the crash-safety tests kill the process there) */
  faults?: { afterStockUpdate?: () => void };
}

export interface OrderCore {
  deps: OrderServiceDeps;
  db: Database;
  repo: OrderRepository;
  idempotency: IdempotencyStore;
  outbox: Outbox;
  reservations: StockReservations;
  clock: () => Date;
}

export function createOrderCore(deps: OrderServiceDeps): OrderCore {
  const db = deps.sequelize;
  return {
    deps,
    db,
    repo: createOrderRepository(db),
    idempotency: createIdempotencyStore(db, deps.idempotency ?? { ttlHours: 24 }),
    outbox: createOutbox(db),
    reservations: createStockReservations(db),
    clock: deps.clock ?? (() => new Date()),
  };
}

export function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new Forbidden();
}

export interface WriteOptions {
  expectedVersion?: number;
}
