// The order use cases with single orders, statistics and a shopper's pages answered from a response
// cache, which is invalidated by every write. The cache hands back the exact text to send (http/fast-paths.ts).

import { notYourOrder } from '../domain/errors.js';
import type { Actor } from '../orders/ports.js';
import type { JsonText, OrderPage, OrderUseCases } from './order-handlers.js';

type Json = Record<string, unknown>;
type Entry = { order: number } | { stats: string } | { lists: number; page: string };
type Invalidation = { order: number } | 'stats' | { lists: number };

/** What this needs of a cache (cache/order-cache.ts provides it; wired in main.ts). */
export interface ResponseCache {
  readThrough<T>(entry: Entry, load: () => Promise<T>): Promise<{ value: T; text: string }>;
  invalidate(entries: Invalidation[]): Promise<void>;
}

export function withResponseCache(uc: OrderUseCases, cache: ResponseCache): OrderUseCases {
  const valueOf = async (read: Promise<JsonText>): Promise<Json> => (await read).json;
  // the order's owner's pages too: an admin's status change shows in the shopper's list
  const afterWrite = async (orderId: number, write: () => Promise<Json>): Promise<Json> => {
    let written: Json | undefined;
    try {
      return (written = await write());
    } finally {
      const owner = typeof written?.user_id === 'number' ? [{ lists: written.user_id }] : [];
      await cache.invalidate([{ order: orderId }, 'stats', ...owner]);
    }
  };

  return {
    ...uc,

    async getOrder(actor: Actor, orderId: number): Promise<JsonText> {
      const { value, text } = await cache.readThrough({ order: orderId }, () => valueOf(uc.getOrder(actor, orderId)));
      // a cached order is still someone's: the owner check happens on every read
      if (actor.role !== 'admin' && value.user_id !== actor.userId) throw notYourOrder(orderId);
      return { json: value, text };
    },

    async stats(actor, range): Promise<JsonText> {
      if (actor.role !== 'admin') return uc.stats(actor, range); // refuses, without touching the cache
      const field = `${range.from?.toISOString() ?? ''}|${range.to?.toISOString() ?? ''}`;
      const { value, text } = await cache.readThrough({ stats: field }, () => valueOf(uc.stats(actor, range)));
      return { json: value, text };
    },

    async listOrders(actor, query): Promise<OrderPage> {
      const page = `${query.page}|${query.size}|${query.status ?? ''}`;
      const { value, text } = await cache.readThrough({ lists: actor.userId, page }, () => uc.listOrders(actor, query));
      // the entry is {"orders":[…],"total":n} as JSON.stringify wrote it: the page's own text is its first member
      return { orders: value.orders, total: value.total, text: text.slice('{"orders":'.length, text.lastIndexOf(',"total":')) };
    },

    async createOrder(actor, input, ctx) {
      const result = await uc.createOrder(actor, input, ctx);
      if (!result.replayed) await cache.invalidate(['stats', { lists: actor.userId }]);
      return result;
    },

    updateOrder: (actor, orderId, input, opts) => afterWrite(orderId, () => uc.updateOrder(actor, orderId, input, opts)),
    changeStatus: (actor, orderId, input, opts) => afterWrite(orderId, () => uc.changeStatus(actor, orderId, input, opts)),
    cancelOrder: (actor, orderId, opts) => afterWrite(orderId, () => uc.cancelOrder(actor, orderId, opts)),
  };
}
