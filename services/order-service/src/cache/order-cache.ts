// Read-through caching of JSON responses (single orders, statistics, a shopper's pages) in Redis, invalidated on every
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

/** One cached response: an order by id, the statistics of one range, or one page of a shopper's orders. */
export type CacheEntry = { order: number } | { stats: string } | { lists: number; page: string };
/** What a write makes stale: one order, every range's statistics, or every page of one shopper's orders. */
export type Invalidation = { order: number } | 'stats' | { lists: number };

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

/** How long a shopper's page generation outlives its last bump (longer than any entry and any read in flight). */
const GENERATION_SECONDS = 3600;

/** HSET the page (KEYS[1], ARGV[1] = ARGV[2], TTL ARGV[3]) only if no invalidation bumped KEYS[2] since ARGV[4] was read. */
const STORE_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

function cacheKeys(prefix: string) {
  const statsKey = `${prefix}:stats`;
  const listsKey = (userId: number) => `${prefix}:lists:v1:${userId}`;
  // bumped by every invalidation of a shopper's pages: a page loaded before a write is never stored after it
  const generationKey = (userId: number) => `${prefix}:lists:gen:${userId}`;
  return {
    statsKey,
    generationKey,
    isGeneration: (key: string) => key.startsWith(`${prefix}:lists:gen:`),
    keyOf: (entry: CacheEntry | Invalidation) =>
      entry === 'stats' ? statsKey : 'order' in entry ? orderCacheKey(prefix, entry.order) : 'lists' in entry ? listsKey(entry.lists) : statsKey,
  };
}

/** Reading and storing one entry; a shopper's page only if its generation is still the one read before loading. */
function entryStore(redis: Redis, prefix: string, ttl: number) {
  const { statsKey, generationKey, keyOf } = cacheKeys(prefix);
  return {
    read: (entry: CacheEntry) =>
      'order' in entry ? redis.get(keyOf(entry)) : 'lists' in entry ? redis.hget(keyOf(entry), entry.page) : redis.hget(statsKey, entry.stats),
    write: async (entry: CacheEntry, text: string, generation: string | null) => {
      if ('order' in entry) return redis.set(keyOf(entry), text, 'EX', ttl);
      if ('stats' in entry) return redis.multi().hset(statsKey, entry.stats, text).expire(statsKey, ttl).exec();
      return redis.eval(STORE_IF_GENERATION, 2, keyOf(entry), generationKey(entry.lists), entry.page, text, ttl, generation ?? '');
    },
    generationOf: (entry: CacheEntry) => ('lists' in entry ? redis.get(generationKey(entry.lists)) : Promise.resolve(null)),
  };
}

export function createResponseCache(redis: Redis, options: ResponseCacheOptions = {}) {
  const ttl = options.ttlSeconds ?? 60;
  const prefix = options.prefix ?? 'orders:cache';
  const { generationKey, isGeneration, keyOf } = cacheKeys(prefix);
  const count = (cache: string, result: string) => options.metrics?.cacheRequests.inc({ cache, result });
  const pending = new Set<string>(); // invalidations Redis missed

  async function invalidate(entries: Invalidation[]): Promise<void> {
    const missed = [...pending];
    const keys = [...new Set([...entries.map(keyOf), ...missed.filter((k) => !isGeneration(k))])];
    const generations = [...new Set([...entries.flatMap((e) => (typeof e === 'object' && 'lists' in e ? [generationKey(e.lists)] : [])), ...missed.filter(isGeneration)])];
    try {
      const tx = redis.multi();
      for (const g of generations) tx.incr(g).expire(g, GENERATION_SECONDS);
      if (keys.length) tx.del(...keys);
      await tx.exec();
      pending.clear();
    } catch {
      for (const k of [...keys, ...generations]) pending.add(k);
    }
  }
  redis.on('ready', () => {
    if (pending.size) void invalidate([]);
  });

  const { read, write, generationOf } = entryStore(redis, prefix, ttl);

  async function readThrough<T>(entry: CacheEntry, load: () => Promise<T>): Promise<CachedJson<T>> {
    const cache = 'order' in entry ? 'order' : 'lists' in entry ? 'orders_page' : 'stats';
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
    const generation = await generationOf(entry).catch(() => undefined);
    const fresh = await loaded();
    if (generation !== undefined) await write(entry, fresh.text, generation).catch(() => undefined);
    return fresh;
  }

  return { readThrough, invalidate };
}
