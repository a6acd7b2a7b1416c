// The order use cases over one database: its adapters built once and the HTTP view of an order as
// the response a checkout records for its replay. main.ts and the tests compose the service here.

import type { Database } from '../data/database.js';
import type { IdempotencyOptions } from '../data/idempotency-store.js';
import { createOrderPersistence } from '../data/order-persistence.js';
import { toOrderJson } from '../http/order-views.js';
import type { OrderPersistence } from '../orders/ports.js';
import { createOrderService, type OrderService, type OrderServiceDeps } from '../orders/service.js';

type Wiring = Omit<OrderServiceDeps, 'persistence' | 'respond'>;

/** The service on adapters built elsewhere (main.ts shares them with the relay and the reconciler). */
export function wireOrderService(deps: Wiring & { persistence: OrderPersistence }): OrderService;
/** The service on a database of its own adapters. */
export function wireOrderService(deps: Wiring & { sequelize: Database; idempotency?: IdempotencyOptions }): OrderService;
export function wireOrderService(deps: Wiring & { persistence?: OrderPersistence; sequelize?: Database; idempotency?: IdempotencyOptions }): OrderService {
  const { persistence, sequelize, idempotency, ...rest } = deps;
  return createOrderService({ ...rest, persistence: persistence ?? createOrderPersistence(sequelize!, { idempotency }), respond: toOrderJson });
}
