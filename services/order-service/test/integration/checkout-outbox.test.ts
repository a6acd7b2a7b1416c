// The outbox: events reach the Redis stream exactly once per id even when the relay dies mid-batch;
// the shopper's cart is cleared only after the order committed, and later if the cart service is down.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { QueryTypes } from 'sequelize';
import { createOutbox } from '../../src/data/outbox.js';
import { createUnitOfWork } from '../../src/data/unit-of-work.js';
import { createStreamPublisher, SETTLED_SECONDS } from '../../src/events/stream-publisher.js';
import { createOutboxRelay } from '../../src/orders/outbox-relay.js';
import { createCartClient } from '../../src/peers/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { deleteStream, startTestService, TEST_SECRET_KEY, type TestService } from '../support/service.js';
import { startCartStandIn, type CartStandIn } from '../support/stand-ins/index.js';
import { issueToken } from '../support/stand-ins/user.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('relay and stream (in process)', () => {
  let tdb: TestDatabase;
  let redis: Redis;
  let cart: CartStandIn;
  const stream = `orders.events.test.${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    cart = await startCartStandIn({ secretKey: TEST_SECRET_KEY });
  });
  afterAll(async () => {
    redis.disconnect();
    await deleteStream(stream);
    await cart.close();
    await tdb.drop();
  });

  test('every event appears once in the stream, with its id, even when the relay dies after publishing', async () => {
    const outbox = createOutbox(tdb.sequelize);
    const ids: string[] = [];
    await createUnitOfWork(tdb.sequelize).run(async (t) => {
      for (let i = 1; i <= 5; i++) ids.push(await outbox.add({ type: 'order.created', orderId: i, userId: 1, payload: { order_id: i } }, t));
    });
    const deps = {
      outbox,
      publisher: createStreamPublisher(redis, { stream }),
      cart: createCartClient({ baseUrl: cart.url }),
      shopperToken: (userId: number) => issueToken(TEST_SECRET_KEY, { id: userId, email: '', role: 'user' }, 5),
    };
    // the first relay "dies" right after publishing the third event, before marking it
    let published = 0;
    const dying = createOutboxRelay({
      ...deps,
      afterPublish: () => {
        if (++published === 3) throw new Error('crash after publish');
      },
    });
    await dying.runOnce();
    // its claim on the unmarked event lapses; a new relay picks it up again
    await tdb.sequelize.query('UPDATE outbox_events SET claimed_until = NULL, next_attempt_at = now()');
    const fresh = createOutboxRelay(deps);
    await fresh.runOnce();

    const entries = await redis.xrange(stream, '-', '+');
    const eventIds = entries.map(([, fields]) => fields[fields.indexOf('event_id') + 1]);
    expect(eventIds.sort()).toEqual([...ids].sort());
    const [, fields] = entries[0]!;
    expect(fields).toEqual(expect.arrayContaining(['type', 'order.created', 'order_id']));
    const [row] = await tdb.sequelize.query<{ n: string }>('SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL', {
      type: QueryTypes.SELECT,
    });
    expect(Number(row!.n)).toBe(0);
  });
  test('a published mark outlives its event by SETTLED_SECONDS only: Redis holds marks for events in flight, not for every past event', async () => {
    const outbox = createOutbox(tdb.sequelize);
    await createUnitOfWork(tdb.sequelize).run(async (t) => {
      for (let i = 1; i <= 200; i++) await outbox.add({ type: 'order.created', orderId: 1000 + i, userId: 1, payload: { order_id: 1000 + i }, clearCart: false }, t);
    });
    const relay = createOutboxRelay({
      outbox,
      publisher: createStreamPublisher(redis, { stream }),
      cart: createCartClient({ baseUrl: cart.url }),
      shopperToken: (userId: number) => issueToken(TEST_SECRET_KEY, { id: userId, email: '', role: 'user' }, 5),
      batchSize: 500,
    });
    await relay.runOnce();
    const marks = await redis.keys(`${stream}:published:*`);
    expect(marks.length).toBeGreaterThanOrEqual(200);
    const ttls = await Promise.all(marks.map((k) => redis.ttl(k)));
    expect(ttls.filter((t) => t <= 0 || t > SETTLED_SECONDS)).toEqual([]);
    const [markBytes, streamBytes, length] = await Promise.all([redis.memory('USAGE', marks[0]!), redis.memory('USAGE', stream, 'SAMPLES', 0), redis.xlen(stream)]);
    console.log(`redis memory: a published mark ${String(markBytes)} B, the stream ${String(streamBytes)} B for ${length} entries`);
  });

  test('a relay whose claim has lapsed appends nothing; within its claim once, then a duplicate', async () => {
    const publisher = createStreamPublisher(redis, { stream });
    const event = { eventId: `lapse-${randomBytes(4).toString('hex')}`, type: 'order.created', orderId: 77, payload: { order_id: 77 }, createdAt: new Date() };
    const before = await redis.xlen(stream);
    expect(await publisher.publish({ ...event, claimedUntil: new Date(Date.now() - 1000) })).toBe('lapsed');
    expect(await redis.xlen(stream)).toBe(before);
    expect(await redis.exists(`${stream}:published:${event.eventId}`)).toBe(0);
    expect(await publisher.publish({ ...event, claimedUntil: new Date(Date.now() + 30_000) })).toBe('published');
    expect(await publisher.publish({ ...event, claimedUntil: new Date(Date.now() + 30_000) })).toBe('duplicate');
    expect(await redis.xlen(stream)).toBe(before + 1);
    expect(await redis.ttl(`${stream}:published:${event.eventId}`)).toBeGreaterThan(SETTLED_SECONDS);
    await publisher.settle(event);
    expect(await redis.ttl(`${stream}:published:${event.eventId}`)).toBeLessThanOrEqual(SETTLED_SECONDS);
  });
});

describe('through the service', () => {
  let svc: TestService;
  let redis: Redis;

  beforeAll(async () => {
    svc = await startTestService();
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await svc.stop();
  });

  const checkout = async (token: string) =>
    fetch(`${svc.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ shipping_address: address }),
    });

  test('an order from the cart clears the cart after it committed, and publishes order.created', async () => {
    svc.peers.cart.setCart(11, [{ productId: 2, sku: 'SKU-2', title: 'Mug', quantity: 1, price: 12.99, currency: 'USD' }]);
    const r = await checkout(await svc.tokens.user(11));
    expect(r.status).toBe(201);
    const order = (await r.json()) as Json;
    await eventually(() => svc.peers.cart.cartOf(11) === undefined);
    await eventually(async () => (await redis.xrange(svc.eventsStream, '-', '+')).some(([, f]) => f.includes(String(order.id))));
    const entry = (await redis.xrange(svc.eventsStream, '-', '+')).find(([, f]) => f.includes(String(order.id)))!;
    const payload = JSON.parse(entry[1][entry[1].indexOf('payload') + 1]!);
    expect(payload).toMatchObject({ order_id: order.id, order_number: order.order_number, total_amount: order.total_amount });
  });

  test('cart service down: the order is created, and the cart is cleared once it is back', async () => {
    svc.peers.cart.setCart(12, [{ productId: 1, sku: 'SKU-1', title: 'Beans', quantity: 2, price: 24.5, currency: 'USD' }]);
    const token = await svc.tokens.user(12);
    // reads work, DELETE /cart fails: the cart service goes down right after the checkout read it
    svc.peers.cart.setFaults({ status500: true, onlyMethod: 'DELETE' });
    const r = await checkout(token);
    expect(r.status).toBe(201);
    await new Promise((res) => setTimeout(res, 500));
    expect(svc.peers.cart.cartOf(12)).toHaveLength(1); // not cleared while down
    svc.peers.cart.setFaults({});
    await eventually(() => svc.peers.cart.cartOf(12) === undefined, 15_000);
  });

  test('status changes publish order.status_changed and order.cancelled', async () => {
    const create = await fetch(`${svc.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await svc.tokens.user(13)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ product_id: 1, quantity: 1 }], shipping_address: address }),
    });
    const order = (await create.json()) as Json;
    const admin = await svc.tokens.admin();
    for (const status of ['confirmed', 'cancelled']) {
      const r = await fetch(`${svc.url}/admin/orders/${order.id}/status`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status }),
      });
      expect(r.status).toBe(200);
    }
    await eventually(async () => {
      const types = (await redis.xrange(svc.eventsStream, '-', '+'))
        .filter(([, f]) => f[f.indexOf('order_id') + 1] === String(order.id))
        .map(([, f]) => f[f.indexOf('type') + 1]);
      return types.join(',') === 'order.created,order.status_changed,order.cancelled';
    });
  });

  test('product service down: 503 naming it with Retry-After, nothing written', async () => {
    const [before] = await Promise.all([fetch(`${svc.url}/admin/orders`, { headers: { authorization: `Bearer ${await svc.tokens.admin()}` } })]);
    const total = before.headers.get('x-total-count');
    svc.peers.product.setFaults({ status500: true });
    try {
      const r = await fetch(`${svc.url}/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await svc.tokens.user(14)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ product_id: 1, quantity: 1 }], shipping_address: address }),
      });
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await r.json()).toMatchObject({ dependency: 'product-service' });
    } finally {
      svc.peers.product.setFaults({});
    }
    const after = await fetch(`${svc.url}/admin/orders`, { headers: { authorization: `Bearer ${await svc.tokens.admin()}` } });
    expect(after.headers.get('x-total-count')).toBe(total);
    // reads are unaffected while it is down
    expect(after.status).toBe(200);
  });
});
