// The Redis read-through cache: hits, invalidation on every write, ownership on cached reads, and
// a Redis that stops answering mid-way (SIGSTOP) — answers come from PostgreSQL, never stale.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createResponseCache, orderCacheKey } from '../../src/cache/order-cache.js';
import { freePort } from '../support/net.js';
import { startTestService, type TestService } from '../support/service.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
let redis: ChildProcess;
let redisPort: number;
let svc: TestService;
let shopper: string;
let admin: string;

async function cacheCount(cache: string, result: string): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const m = new RegExp(`orders_cache_requests_total\\{cache="${cache}",result="${result}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}
const call = async (method: string, path: string, token: string, body?: unknown) => {
  const r = await fetch(`${svc.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: (await r.json()) as Json };
};
const newOrder = async () => (await call('POST', '/orders', shopper, { items: [{ product_id: 1, quantity: 1 }], shipping_address: address })).body;

beforeAll(async () => {
  // a Redis of this test's own, so it can be paused
  const port = (redisPort = await freePort());
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', mkdtempSync(join(tmpdir(), 'redis-'))], { stdio: 'ignore' });
  svc = await startTestService({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  shopper = await svc.tokens.user(31);
  admin = await svc.tokens.admin();
  // the service's Redis connection is up once a read is answered from the cache (it queues nothing while connecting)
  const warm = await newOrder();
  const deadline = Date.now() + 10_000;
  while ((await cacheCount('order', 'hit')) === 0 && Date.now() < deadline) {
    await call('GET', `/orders/${warm.id}`, shopper);
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await svc.stop();
  redis.kill('SIGKILL');
});

test('a second read of an order is a cache hit with the same body', async () => {
  const order = await newOrder();
  const hits = await cacheCount('order', 'hit');
  const first = await call('GET', `/orders/${order.id}`, shopper);
  const second = await call('GET', `/orders/${order.id}`, shopper);
  expect(second).toEqual(first);
  expect(await cacheCount('order', 'hit')).toBe(hits + 1);
  // a hit sends the cached text as it is: byte for byte what a miss serialises, same headers
  const raw = async () => fetch(`${svc.url}/orders/${order.id}`, { headers: { authorization: `Bearer ${shopper}` } });
  const [a, b] = [await raw(), await raw()];
  expect(await a.text()).toBe(JSON.stringify(first.body));
  expect(await b.text()).toBe(JSON.stringify(first.body));
  for (const header of ['content-type', 'etag', 'content-length']) expect(b.headers.get(header)).toBe(a.headers.get(header));
  expect(b.headers.get('content-type')).toBe('application/json; charset=utf-8');
});

test('a cached order carries its amounts as the same two-decimal strings, and an entry of the old shape is never served', async () => {
  const order = await newOrder();
  const client = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    // what a replica from before decimal strings cached under the old key: numbers, and a total that is not the order's
    const legacyKey = `${svc.config.cachePrefix}:order:${order.id}`;
    await client.set(legacyKey, JSON.stringify({ ...order, total_amount: 0.01, subtotal: 0.01 }), 'EX', 60);
    const first = await call('GET', `/orders/${order.id}`, shopper);
    expect(first.body.total_amount).toBe(order.total_amount);
    expect(first.body.total_amount).toMatch(/^\d+\.\d{2}$/);
    const stored = JSON.parse((await client.get(orderCacheKey(svc.config.cachePrefix, order.id))) ?? 'null') as Json;
    for (const field of ['subtotal', 'tax_amount', 'shipping_amount', 'discount_amount', 'total_amount']) expect(stored[field]).toBe(order[field]);
    expect(stored.order_items[0].unit_price).toBe(order.order_items[0].unit_price);
    expect(typeof stored.order_items[0].unit_price).toBe('string');
    const hits = await cacheCount('order', 'hit');
    const second = await call('GET', `/orders/${order.id}`, shopper);
    expect(await cacheCount('order', 'hit')).toBe(hits + 1);
    expect(second.body).toEqual(first.body);
    await client.del(legacyKey);
  } finally {
    client.disconnect();
  }
});

test("a cached order is still refused to another shopper", async () => {
  const order = await newOrder();
  await call('GET', `/orders/${order.id}`, admin); // cached by the admin's read
  expect((await call('GET', `/orders/${order.id}`, await svc.tokens.user(32))).status).toBe(404);
});

test('every write invalidates: status changes and cancellations are visible at once', async () => {
  const order = await newOrder();
  await call('GET', `/orders/${order.id}`, shopper);
  await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: 'confirmed' });
  expect((await call('GET', `/orders/${order.id}`, shopper)).body.status).toBe('confirmed');
  await call('DELETE', `/orders/${order.id}`, shopper);
  expect((await call('GET', `/orders/${order.id}`, shopper)).body.status).toBe('cancelled');
});

test('statistics are cached and a new order invalidates them', async () => {
  const before = (await call('GET', '/admin/orders/stats', admin)).body;
  const hits = await cacheCount('stats', 'hit');
  expect((await call('GET', '/admin/orders/stats', admin)).body).toEqual(before);
  expect(await cacheCount('stats', 'hit')).toBe(hits + 1);
  await newOrder();
  expect((await call('GET', '/admin/orders/stats', admin)).body.total_orders).toBe(before.total_orders + 1);
  expect((await call('GET', '/admin/stats', shopper)).status).toBe(403); // never served from the cache to a shopper
});

test("a shopper's page is cached with its headers, and every write to one of their orders makes it fresh", async () => {
  const pageOf = async (token: string, query = '?page=1&size=10') => {
    const r = await fetch(`${svc.url}/orders${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { text: await r.text(), total: r.headers.get('x-total-count'), link: r.headers.get('link'), type: r.headers.get('content-type') };
  };
  const first = await pageOf(shopper);
  const hits = await cacheCount('orders_page', 'hit');
  expect(await pageOf(shopper)).toEqual(first); // byte for byte, same headers
  expect(await cacheCount('orders_page', 'hit')).toBe(hits + 1);
  expect(first.type).toBe('application/json; charset=utf-8');
  // another shopper never gets this shopper's page
  const other = JSON.parse((await pageOf(await svc.tokens.user(33))).text) as Json[];
  expect(other.every((o) => o.user_id === 33)).toBe(true);

  const order = await newOrder();
  const afterCreate = await pageOf(shopper);
  expect(Number(afterCreate.total)).toBe(Number(first.total) + 1);
  expect((JSON.parse(afterCreate.text) as Json[])[0]!.id).toBe(order.id);
  await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: 'confirmed' }); // by an admin: still the shopper's page
  expect((JSON.parse((await pageOf(shopper)).text) as Json[])[0]!.status).toBe('confirmed');
  await call('DELETE', `/orders/${order.id}`, shopper);
  expect((JSON.parse((await pageOf(shopper)).text) as Json[])[0]!.status).toBe('cancelled');
  // another page size is its own entry, as fresh
  expect((JSON.parse((await pageOf(shopper, '?page=1&size=3')).text) as Json[])[0]!.status).toBe('cancelled');
});

test('a page read from PostgreSQL before a write is not stored after the write invalidated it', async () => {
  const client = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const cache = createResponseCache(client, { prefix: `${svc.config.cachePrefix}:race` });
    const entry = { lists: 77, page: '1|10|' };
    // the load sees the old page, then a write commits and invalidates before the load's answer is stored
    const stale = await cache.readThrough(entry, async () => {
      await cache.invalidate([{ lists: 77 }]);
      return { orders: [{ id: 1, status: 'pending' }], total: 1 };
    });
    expect(stale.value.orders[0]!.status).toBe('pending'); // answered, as any read racing a write may be
    const next = await cache.readThrough(entry, async () => ({ orders: [{ id: 1, status: 'confirmed' }], total: 1 }));
    expect(next.value.orders[0]!.status).toBe('confirmed'); // but never cached: the next read loads again
    const third = await cache.readThrough(entry, async () => ({ orders: [] as Json[], total: 0 }));
    expect(third.value.orders[0]!.status).toBe('confirmed'); // and a load with no write in between is cached
  } finally {
    client.disconnect();
  }
});

test('Redis stops answering: reads and writes go on from PostgreSQL, and nothing stale is served after it returns', async () => {
  const order = await newOrder();
  await call('GET', `/orders/${order.id}`, shopper); // cached as pending
  redis.kill('SIGSTOP');
  try {
    const write = await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: 'confirmed' });
    expect(write.status).toBe(200);
    const during = await call('GET', `/orders/${order.id}`, shopper);
    expect(during).toMatchObject({ status: 200, body: { status: 'confirmed' } });
    expect((await call('GET', '/admin/orders/stats', admin)).status).toBe(200);
    expect(await cacheCount('order', 'error')).toBeGreaterThan(0);
  } finally {
    redis.kill('SIGCONT');
  }
  // the cached "pending" copy is still in Redis: the missed invalidation must be delivered first
  const after = await call('GET', `/orders/${order.id}`, shopper);
  expect(after.body.status).toBe('confirmed');
  const again = await call('GET', `/orders/${order.id}`, shopper);
  expect(again.body.status).toBe('confirmed');
});
