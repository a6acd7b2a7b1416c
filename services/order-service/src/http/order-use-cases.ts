// Binds the order use cases (composed in src/orders/service.ts) to what the HTTP handlers need: the same calls,
// with records turned into the document's JSON shapes by views.ts.
import type { ExportOrders } from '../orders/export-orders.js';
import type { SearchOrders } from '../orders/search-orders.js';
import type { OrderService } from '../orders/service.js';
import { toOrderJson, toOrderSummaryJson, toStatsJson } from '../orders/views.js';
import type { OrderUseCases } from './order-handlers.js';

export function adaptOrderService(service: OrderService, admin: { searchOrders: SearchOrders; exportOrders: ExportOrders }): OrderUseCases {
  return {
    searchOrders: async (actor, query) => {
      const { items, nextCursor } = await admin.searchOrders(actor, query);
      return { orders: items.map(toOrderSummaryJson), nextCursor };
    },
    exportOrders: admin.exportOrders,
    createOrder: (actor, input, ctx) => service.placeOrder(actor, input, ctx),
    listOrders: async (actor, query) => {
      const { items, total } = await service.listOrders(actor, query);
      return { orders: items.map(toOrderSummaryJson), total };
    },
    getOrder: async (actor, orderId) => toOrderJson(await service.getOrder(actor, orderId)),
    updateOrder: async (actor, orderId, input, options) => toOrderJson(await service.updateOrder(actor, orderId, input, options)),
    changeStatus: async (actor, orderId, input, options) => toOrderJson(await service.changeStatus(actor, orderId, input, options)),
    cancelOrder: async (actor, orderId, options) => toOrderJson(await service.cancelOrder(actor, orderId, options)),
    adminListOrders: async (actor, query) => {
      const { items, total } = await service.adminListOrders(actor, query);
      return { orders: items.map(toOrderSummaryJson), total };
    },
    stats: async (actor, range) => toStatsJson(await service.stats(actor, range)),
  };
}
