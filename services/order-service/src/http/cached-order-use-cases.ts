// The order use cases with single orders and statistics answered from a response cache, which is
// invalidated by every write. The cache hands back the exact text to send (http/fast-paths.ts).

import { notYourOrder } from '../domain/errors.js';
import type { Actor } from '../orders/ports.js';
import type { JsonText, OrderUseCases } from './order-handlers.js';

type Json = Record<string, unknown>;
type Entry = { order: number } | { stats: string };
type Invalidation = { order: number } | 'stats';

/** What this needs of a cache (cache/order-cache.ts provides it; wired in main.ts). */
export interface ResponseCache {
  readThrough<T>(entry: Entry, load: () => Promise<T>): Promise<{ value: T; text: string }>;
  invalidate(entries: Invalidation[]): Promise<void>;
}

export function withResponseCache(uc: OrderUseCases, cache: ResponseCache): OrderUseCases {
  const valueOf = async (read: Promise<JsonText>): Promise<Json> => (await read).json;
  const afterWrite = async <T>(orderId: number, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      await cache.invalidate([{ order: orderId }, 'stats']);
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

    async createOrder(actor, input, ctx) {
      const result = await uc.createOrder(actor, input, ctx);
      if (!result.replayed) await cache.invalidate(['stats']);
      return result;
    },

    updateOrder: (actor, orderId, input, opts) => afterWrite(orderId, () => uc.updateOrder(actor, orderId, input, opts)),
    changeStatus: (actor, orderId, input, opts) => afterWrite(orderId, () => uc.changeStatus(actor, orderId, input, opts)),
    cancelOrder: (actor, orderId, opts) => afterWrite(orderId, () => uc.cancelOrder(actor, orderId, opts)),
  };
}
