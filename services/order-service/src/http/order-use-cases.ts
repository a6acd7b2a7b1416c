// What the HTTP handlers need from the order use cases, in the document's JSON shapes, and the
// adapter from the use cases (composed in src/orders/service.ts) that makes those shapes with order-views.ts.
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { ExportOrders } from '../orders/export-orders.js';
import type { Actor, PeerContext } from '../orders/ports.js';
import type { SearchOrders } from '../orders/search-orders.js';
import type { ChangeStatusInput, CreateOrderInput, OrderService, UpdateOrderInput, WriteOptions } from '../orders/service.js';
import type { OrderSearchUseCases } from './order-search-handlers.js';
import { toOrderJson, toOrderSummaryJson, toStatsJson } from './order-views.js';

type Json = Record<string, unknown>;

export interface OrderPage {
  orders: Json[];
  total: number;
  /** the exact JSON text of `orders`, when its source already has it (a cache hit) */
  text?: string;
}

/** A JSON value and, when its source already has it (a cache hit), the exact text to send for it. */
export interface JsonText {
  json: Json;
  text?: string;
}

export interface OrderUseCases extends OrderSearchUseCases {
  createOrder(actor: Actor, input: CreateOrderInput, ctx: PeerContext & { idempotencyKey?: string }): Promise<{ order: Json; replayed?: boolean }>;
  listOrders(actor: Actor, query: { page: number; size: number; status?: OrderStatus }): Promise<OrderPage>;
  getOrder(actor: Actor, orderId: number): Promise<JsonText>;
  updateOrder(actor: Actor, orderId: number, input: UpdateOrderInput, options: WriteOptions): Promise<Json>;
  changeStatus(actor: Actor, orderId: number, input: ChangeStatusInput, options: WriteOptions): Promise<Json>;
  cancelOrder(actor: Actor, orderId: number, options: WriteOptions): Promise<Json>;
  adminListOrders(
    actor: Actor,
    query: { page: number; size: number; status?: OrderStatus; userId?: number; from?: Date; to?: Date },
  ): Promise<OrderPage>;
  stats(actor: Actor, range: { from?: Date; to?: Date }): Promise<JsonText>;
}

export function adaptOrderService(service: OrderService, admin: { searchOrders: SearchOrders; exportOrders: ExportOrders }): OrderUseCases {
  return {
    searchOrders: async (actor, query) => {
      const { items, nextCursor } = await admin.searchOrders(actor, query);
      return { orders: items.map(toOrderSummaryJson), nextCursor };
    },
    exportOrders: admin.exportOrders,
    // the service answers with toOrderJson (wiring/order-service.ts), new or replayed
    createOrder: async (actor, input, ctx) => (await service.placeOrder(actor, input, ctx)) as { order: Json; replayed: boolean },
    listOrders: async (actor, query) => {
      const { items, total } = await service.listOrders(actor, query);
      // `orders` first: the page cache takes the page's text from the front of this object's JSON
      return { orders: items.map(toOrderSummaryJson), total };
    },
    getOrder: async (actor, orderId) => ({ json: toOrderJson(await service.getOrder(actor, orderId)) }),
    updateOrder: async (actor, orderId, input, options) => toOrderJson(await service.updateOrder(actor, orderId, input, options)),
    changeStatus: async (actor, orderId, input, options) => toOrderJson(await service.changeStatus(actor, orderId, input, options)),
    cancelOrder: async (actor, orderId, options) => toOrderJson(await service.cancelOrder(actor, orderId, options)),
    adminListOrders: async (actor, query) => {
      const { items, total } = await service.adminListOrders(actor, query);
      return { orders: items.map(toOrderSummaryJson), total };
    },
    stats: async (actor, range) => ({ json: toStatsJson(await service.stats(actor, range)) }),
  };
}
