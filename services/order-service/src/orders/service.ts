// The order use cases, composed from their dependencies: each use case lives in its own file
// (place-order.ts is the checkout top to bottom). No Express here and no SQL.

import { createCancelOrder } from './cancel-order.js';
import { createChangeStatus } from './change-status.js';
import { createGetOrder } from './get-order.js';
import { createListOrders } from './list-orders.js';
import { createOrderCore, type OrderServiceDeps } from './order-core.js';
import { createOrderStats } from './order-stats.js';
import { createPlaceOrder } from './place-order.js';
import { createUpdateOrder } from './update-order.js';

// callers (http/, main.ts, tests) import these from here, where they always were
export type { CreateOrderInput } from './checkout-lines.js';
export type { ChangeStatusInput } from './change-status.js';
export type { OrderServiceDeps, WriteOptions } from './order-core.js';
export type { PlacedOrder, PlaceOrderContext } from './place-order.js';
export type { UpdateOrderInput } from './update-order.js';
export { MAX_PAGE_SIZE } from './list-orders.js';
export { fingerprintOf } from './place-order.js';

export function createOrderService(deps: OrderServiceDeps) {
  const core = createOrderCore(deps);
  const { placeOrder, createOrder } = createPlaceOrder(core);
  const { listOrders, adminListOrders } = createListOrders(core);
  return {
    placeOrder,
    createOrder,
    getOrder: createGetOrder(core),
    listOrders,
    adminListOrders,
    changeStatus: createChangeStatus(core),
    updateOrder: createUpdateOrder(core),
    cancelOrder: createCancelOrder(core),
    stats: createOrderStats(core),
  };
}

export type OrderService = ReturnType<typeof createOrderService>;
