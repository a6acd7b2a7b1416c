// What every order use case is built from: the service's dependencies, with the persistence ports
// built once by the wiring and shared, so all use cases see one repository, outbox and stock record.

import { Forbidden } from '../domain/errors.js';
import type { OrderRecord } from '../domain/records.js';
import type { Pricing } from '../domain/totals.js';
import type { AccountGate } from './account-gate.js';
import type { Actor, Cart, Catalog, OrderPersistence } from './ports.js';

export interface OrderServiceDeps {
  persistence: OrderPersistence;
  /** the response a checkout answers with, recorded under its Idempotency-Key for a replay (the HTTP view) */
  respond: (order: OrderRecord) => unknown;
  catalog: Catalog;
  cart: Cart;
  /** asks the user service whether the caller may still buy (off without USER_SERVICE_URL) */
  accountGate?: AccountGate;
  pricing: Pricing;
  clock?: () => Date;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** take and give back stock at the product service (STOCK_MANAGEMENT) */
  stockManagement?: boolean;
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

export type OrderCore = OrderPersistence & { deps: OrderServiceDeps; clock: () => Date };

export function createOrderCore(deps: OrderServiceDeps): OrderCore {
  return { ...deps.persistence, deps, clock: deps.clock ?? (() => new Date()) };
}

export function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new Forbidden();
}

export interface WriteOptions {
  expectedVersion?: number;
}
