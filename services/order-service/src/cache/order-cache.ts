// Read-through caching of JSON responses (single orders, statistics) in Redis, invalidated on every
// write (Redis is shared, so a change made by another replica invalidates here too). Redis is never
// the system of record: any Redis error falls through to the loader, and invalidations that could
// not be sent while Redis was away are sent as soon as it is back. It knows keys and text, not use cases.

import type { Redis } from 'ioredis';

export interface ResponseCacheOptions {
  /** how long an entry may live at most (bounds any staleness from a lost invalidation) */
  ttlSeconds?: number;
  prefix?: string;
  metrics?: { cacheRequests: { inc(labels: { cache: string; result: string }): void } };
}

/** One cached response: an order by id, or the statistics of one range. */
export type CacheEntry = { order: number } | { stats: string };
/** What a write makes stale: one order, or every range's statistics. */
export type Invalidation = { order: number } | 'stats';

/** The value and the exact JSON text it is (read from Redis on a hit, serialised once on a miss). */
export interface CachedJson<T> {
  value: T;
  text: string;
}

/**
 * Where one order's JSON is cached. The version names the JSON's shape: v2 carries amounts as
 * decimal strings, so entries written with numbers by an older replica are never read.
 */
export function orderCacheKey(prefix: string, orderId: number): string {
  return `${prefix}:order:v2:${orderId}`;
}

export function createResponseCache(redis: Redis, options: ResponseCacheOptions = {}) {
  const ttl = options.ttlSeconds ?? 60;
  const prefix = options.prefix ?? 'orders:cache';
  const statsKey = `${prefix}:stats`;
  const count = (cache: string, result: string) => options.metrics?.cacheRequests.inc({ cache, result });
  const pending = new Set<string>(); // invalidations Redis missed
  const keyOf = (entry: CacheEntry | Invalidation) => (typeof entry === 'object' && 'order' in entry ? orderCacheKey(prefix, entry.order) : statsKey);

  async function invalidate(entries: Invalidation[]): Promise<void> {
    const keys = [...new Set(entries.map(keyOf))];
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

  const read = (entry: CacheEntry) => ('order' in entry ? redis.get(keyOf(entry)) : redis.hget(statsKey, entry.stats));
  const write = (entry: CacheEntry, text: string) =>
    'order' in entry ? redis.set(keyOf(entry), text, 'EX', ttl) : redis.multi().hset(statsKey, entry.stats, text).expire(statsKey, ttl).exec();

  async function readThrough<T>(entry: CacheEntry, load: () => Promise<T>): Promise<CachedJson<T>> {
    const cache = 'order' in entry ? 'order' : 'stats';
    const loaded = async () => {
      const value = await load();
      return { value, text: JSON.stringify(value) };
    };
    if (pending.size) await invalidate([]); // first deliver what Redis missed
    if (pending.size) {
      count(cache, 'error'); // Redis still unreachable: with invalidations outstanding, trust nothing cached
      return loaded();
    }
    let hit: string | null;
    try {
      hit = await read(entry);
    } catch {
      count(cache, 'error');
      return loaded();
    }
    if (hit !== null) {
      count(cache, 'hit');
      return { value: JSON.parse(hit) as T, text: hit };
    }
    count(cache, 'miss');
    const fresh = await loaded();
    await write(entry, fresh.text).catch(() => undefined);
    return fresh;
  }

  return { readThrough, invalidate };
}
