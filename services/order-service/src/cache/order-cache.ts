// Read-through caching of single orders and statistics in Redis, invalidated on every write
// (Redis is shared, so a change made by another replica invalidates here too). Redis is never
// the system of record: any Redis error falls through to PostgreSQL, and invalidations that could
// not be sent while Redis was away are sent as soon as it is back.

import type { Redis } from 'ioredis';
import { notYourOrder } from '../domain/errors.js';
import type { OrderUseCases } from '../http/order-handlers.js';
import type { Actor } from '../orders/ports.js';
import { withSerialised } from '../orders/views.js';

export interface OrderCacheOptions {
  /** how long an entry may live at most (bounds any staleness from a lost invalidation) */
  ttlSeconds?: number;
  prefix?: string;
  metrics?: { cacheRequests: { inc(labels: { cache: string; result: string }): void } };
}

type Json = Record<string, unknown>;

/**
 * Where one order's JSON is cached. The version names the JSON's shape: v2 carries amounts as
 * decimal strings, so entries written with numbers by an older replica are never read.
 */
export function orderCacheKey(prefix: string, orderId: number): string {
  return `${prefix}:order:v2:${orderId}`;
}

export function withOrderCache(uc: OrderUseCases, redis: Redis, options: OrderCacheOptions = {}): OrderUseCases {
  const ttl = options.ttlSeconds ?? 60;
  const prefix = options.prefix ?? 'orders:cache';
  const orderKey = (id: number) => orderCacheKey(prefix, id);
  const statsKey = `${prefix}:stats`;
  const count = (cache: string, result: string) => options.metrics?.cacheRequests.inc({ cache, result });
  const pending = new Set<string>(); // invalidations Redis missed

  async function invalidate(keys: string[]): Promise<void> {
    try {
      await redis.del(...keys, ...pending);
      pending.clear();
    } catch {
      for (const k of keys) pending.add(k);
    }
  }
  redis.on('ready', () => {
    if (pending.size) void invalidate([]);
  });

  async function cached<T>(cache: string, read: () => Promise<string | null>, load: () => Promise<T>, store: (v: T) => Promise<unknown>): Promise<T> {
    let hit: string | null = null;
    if (pending.size) await invalidate([]); // first deliver what Redis missed
    if (pending.size) {
      count(cache, 'error'); // Redis still unreachable: with invalidations outstanding, trust nothing cached
      return load();
    }
    try {
      hit = await read();
    } catch {
      count(cache, 'error');
      return load();
    }
    if (hit !== null) {
      count(cache, 'hit');
      return withSerialised(JSON.parse(hit) as T & object, hit); // the response sends this text as it is
    }
    count(cache, 'miss');
    const value = await load();
    await store(value).catch(() => undefined);
    return value;
  }

  return {
    ...uc,

    async getOrder(actor: Actor, orderId: number) {
      const order = await cached<Json>(
        'order',
        () => redis.get(orderKey(orderId)),
        () => uc.getOrder(actor, orderId),
        (v) => redis.set(orderKey(orderId), JSON.stringify(v), 'EX', ttl),
      );
      // a cached order is still someone's: the owner check happens on every read
      if (actor.role !== 'admin' && order.user_id !== actor.userId) throw notYourOrder(orderId);
      return order;
    },

    async stats(actor: Actor, range: { from?: Date; to?: Date }) {
      if (actor.role !== 'admin') return uc.stats(actor, range); // refuses, without touching the cache
      const field = `${range.from?.toISOString() ?? ''}|${range.to?.toISOString() ?? ''}`;
      return cached<Json>(
        'stats',
        () => redis.hget(statsKey, field),
        () => uc.stats(actor, range),
        (v) => redis.multi().hset(statsKey, field, JSON.stringify(v)).expire(statsKey, ttl).exec(),
      );
    },

    async createOrder(actor, input, ctx) {
      const result = await uc.createOrder(actor, input, ctx);
      if (!result.replayed) await invalidate([statsKey]);
      return result;
    },

    async updateOrder(actor, orderId, input, opts) {
      try {
        return await uc.updateOrder(actor, orderId, input, opts);
      } finally {
        await invalidate([orderKey(orderId), statsKey]);
      }
    },

    async changeStatus(actor, orderId, input, opts) {
      try {
        return await uc.changeStatus(actor, orderId, input, opts);
      } finally {
        await invalidate([orderKey(orderId), statsKey]);
      }
    },

    async cancelOrder(actor, orderId, opts) {
      try {
        return await uc.cancelOrder(actor, orderId, opts);
      } finally {
        await invalidate([orderKey(orderId), statsKey]);
      }
    },
  };
}
