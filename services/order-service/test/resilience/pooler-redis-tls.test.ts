// Cache and events over rediss:// with a private CA (issue 12), with PostgreSQL directly and through
// PgBouncer: the suite's Redis listens on TLS only and wants a password, so an order the service
// caches on a read (and serves from the cache on the next) and its order.created event in the
// stream prove the service's TLS connection to Redis with the CA it was given.

import { jest } from '@jest/globals';
import { startProductStandIn, type ProductStandIn, type StandInProduct } from '../support/stand-ins/index.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient } from './support/client.js';
import { spawnService, until } from './support/harness.js';
import { ROUTES, pooledSuite, stopService, type StackDatabase } from './support/pooled-stack.js';
import { orderCacheKey } from '../../src/cache/order-cache.js';

jest.setTimeout(60_000);

const PRODUCT: StandInProduct = { _id: 41, sku: 'P-41', title: 'Cached grinder', price: 60, currency: 'USD', image: '/i/41.jpg', stock: 100, isActive: true };

const { transcript, tokens, stack } = pooledSuite();

it('the suite’s Redis takes TLS connections only', async () => {
  const redis = stack().redis.client();
  expect(await redis.config('GET', 'port')).toEqual(['port', '0']);
  expect(await redis.config('GET', 'tls-port')).toEqual(['tls-port', String(stack().redis.port)]);
});

describe.each(ROUTES)('%s', (route) => {
  let db: StackDatabase;
  let product: ProductStandIn;
  let service: ServiceProcess;
  const prefix = `orders:pooled:${route}`;
  const stream = `orders.pooled.${route}`;

  beforeAll(async () => {
    db = await stack().createDatabase();
    product = await startProductStandIn({ catalogue: [PRODUCT] });
    service = await spawnService(
      {
        DATABASE_URL: db.urls[route],
        REDIS_URL: stack().redis.url,
        ...stack().tlsEnv(),
        PRODUCT_SERVICE_URL: product.url,
        CACHE_PREFIX: prefix,
        EVENTS_STREAM: stream,
        MIGRATE_ON_START: 'true',
        OUTBOX_INTERVAL_MS: '200',
      },
      transcript,
      `${route} service`,
    );
  });

  afterAll(async () => {
    await stopService(service);
    await product?.close();
    await db?.drop();
  });

  it('caches an order over rediss:// and serves it from there, and its event lands in the stream', async () => {
    const redis = stack().redis.client();
    const call = createClient(() => service.url, transcript);
    const token = await tokens.user(41_000, 'cached@example.test');
    const hits = async () => Number(/orders_cache_requests_total\{[^}]*cache="order"[^}]*result="hit"[^}]*\} (\d+)/.exec((await call('GET', '/metrics')).body)?.[1] ?? 0);

    const created = await call('POST', '/orders', { token, body: { items: [{ product_id: PRODUCT._id, quantity: 2 }], shipping_address: ADDRESS } });
    expect(created.status).toBe(201);
    const id = created.body.id as number;

    expect((await call('GET', `/orders/${id}`, { token })).status).toBe(200);
    const cached = await redis.get(orderCacheKey(prefix, id));
    expect(JSON.parse(cached ?? '{}')).toMatchObject({ id, order_number: created.body.order_number });
    const hitsBefore = await hits();
    const again = await call('GET', `/orders/${id}`, { token });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    expect(await hits()).toBe(hitsBefore + 1);

    const entries = await until(
      async () => {
        const found = (await redis.xrange(stream, '-', '+')).filter(([, fields]) => fields[fields.indexOf('order_id') + 1] === String(id));
        return found.length > 0 ? found : undefined;
      },
      10_000,
      'the order.created event in the stream',
    );
    expect(entries!.map(([, fields]) => fields[fields.indexOf('type') + 1])).toEqual(['order.created']);
    expect(service.output()).not.toMatch(/redis unavailable/);
  });
});

it('never showed the secret key or the database password', () => {
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(5_000);
});
