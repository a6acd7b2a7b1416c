// Every order route and every storefront twin over real sockets, against real PostgreSQL and the
// peer stand-ins: the fields CONTRACTS.md §3 says the storefront reads, ownership (404), the
// lifecycle (409), races (one 200, one 409), ETag/If-Match (412), pagination headers, Location.
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let admin: string;
let alice: string;
let bob: string;
const ALICE = 9301;
const BOB = 9302;

const address = { address: '742 Evergreen Terrace', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' };

beforeAll(async () => {
  svc = await startTestService();
  admin = await svc.tokens.admin(1);
  alice = await svc.tokens.user(ALICE, 'alice@example.test');
  bob = await svc.tokens.user(BOB, 'bob@example.test');
});
afterAll(async () => {
  await svc?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Json = any;

async function call(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${svc.url}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

async function createOrder(token: string, path = '/orders', quantity = 2): Promise<Json> {
  const { status, body } = await call('POST', path, token, {
    items: [{ product_id: svc.catalog.productIds[0], quantity }],
    shipping_address: address,
    customer_email: 'ignored@example.test',
  });
  expect(status).toBe(201);
  return body;
}

// amounts on orders are decimal strings with exactly two decimals (the storefront prints them as they come)
const twoDecimals = (s: unknown) => typeof s === 'string' && /^-?\d+\.\d{2}$/.test(s) && s !== '-0.00';
const cents = (s: string) => Number(s.replace('.', ''));

describe('creating orders', () => {
  it('POST /orders creates the caller\'s order: 201, Location, ETag, the full order with prices from the catalogue', async () => {
    const { res, status, body } = await call('POST', '/orders', alice, {
      items: [{ product_id: svc.catalog.productIds[0], quantity: 2 }],
      shipping_address: address,
      billing_address: address,
      customer_phone: '+1 555 0100',
      notes: 'leave at the door',
      customer_email: 'someone-else@example.test',
    });
    expect(status).toBe(201);
    expect(res.headers.get('location')).toBe(`/orders/${body.id}`);
    expect(res.headers.get('etag')).toBe(`"${body.version}"`);
    expect(body).toMatchObject({
      user_id: ALICE,
      customer_email: 'alice@example.test', // the token's email, not the body's
      status: 'pending',
      payment_status: 'pending',
      shipping_address: address.address,
      shipping_city: address.city,
      shipping_country: address.country,
      customer_phone: '+1 555 0100',
      notes: 'leave at the door',
    });
    expect(body.order_number).toMatch(/^ORD-\d{8}-[A-Z0-9]{8}$/);
    expect(body.order_items).toHaveLength(1);
    const item = body.order_items[0];
    expect(item).toMatchObject({ product_id: svc.catalog.productIds[0], quantity: 2 });
    expect(item.unit_price).toBe(svc.catalog.priceOf(svc.catalog.productIds[0]!).toFixed(2));
    for (const amount of [body.subtotal, body.tax_amount, body.shipping_amount, body.discount_amount, body.total_amount, item.unit_price, item.total_price]) {
      expect(twoDecimals(amount)).toBe(true);
    }
    expect(cents(body.total_amount)).toBe(cents(body.subtotal) + cents(body.tax_amount) + cents(body.shipping_amount) - cents(body.discount_amount));
    expect(cents(item.total_price)).toBe(cents(item.unit_price) * 2);
    expect(svc.validateResponse('createOrder', 201, body)).toEqual([]);
  });

  it('POST / (storefront) answers exactly like POST /orders', async () => {
    const { res, status, body } = await call('POST', '/', alice, {
      customer_email: 'alice@example.test',
      shipping_address: address,
      items: [{ product_id: svc.catalog.productIds[0], quantity: 1 }],
    });
    expect(status).toBe(201);
    expect(res.headers.get('location')).toBe(`/orders/${body.id}`);
    expect(svc.validateResponse('storefrontCreateOrder', 201, body)).toEqual([]);
  });

  it('Location honours the gateway\'s X-Forwarded-Prefix', async () => {
    const { res, status } = await call(
      'POST',
      '/',
      alice,
      { shipping_address: address, items: [{ product_id: svc.catalog.productIds[0], quantity: 1 }] },
      { 'x-forwarded-prefix': '/order' },
    );
    expect(status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/order\/orders\/\d+$/);
  });

  it('an unknown product is 422 naming the product, and nothing is written', async () => {
    const before = (await call('GET', '/orders', bob)).res.headers.get('x-total-count');
    const { status, res, body } = await call('POST', '/orders', bob, { items: [{ product_id: 987654321, quantity: 1 }], shipping_address: address });
    expect(status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(body.detail).toContain('987654321');
    expect((await call('GET', '/orders', bob)).res.headers.get('x-total-count')).toBe(before);
  });
});

describe('reading orders', () => {
  let order: Json;
  beforeAll(async () => {
    order = await createOrder(alice);
  });

  it('GET /{id} (storefront details) carries every field the storefront reads', async () => {
    const { res, status, body } = await call('GET', `/${order.id}`, alice);
    expect(status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${body.version}"`);
    for (const field of ['order_number', 'created_at', 'status', 'payment_status', 'tax_amount', 'shipping_amount', 'total_amount', 'shipping_city', 'customer_email']) {
      expect(body).toHaveProperty(field);
    }
    expect(typeof body.shipping_address).toBe('string');
    for (const field of ['product_name', 'product_id', 'quantity', 'unit_price', 'total_price']) {
      expect(body.order_items[0]).toHaveProperty(field);
    }
    expect(svc.validateResponse('storefrontGetOrder', 200, body)).toEqual([]);
  });

  it('GET /orders/{id} is the same order', async () => {
    const canonical = await call('GET', `/orders/${order.id}`, alice);
    const twin = await call('GET', `/${order.id}`, alice);
    expect(canonical.status).toBe(200);
    expect(canonical.body).toEqual(twin.body);
  });

  it('another shopper\'s order is 404, not 403', async () => {
    for (const path of [`/orders/${order.id}`, `/${order.id}`]) {
      const { status, body } = await call('GET', path, bob);
      expect(status).toBe(404);
      expect(body.status).toBe(404);
    }
  });

  it('a shopper cannot cancel another shopper\'s order (404) and it stays pending', async () => {
    expect((await call('DELETE', `/orders/${order.id}`, bob)).status).toBe(404);
    expect((await call('GET', `/orders/${order.id}`, alice)).body.status).toBe('pending');
  });

  it('an admin reads any order at /admin/orders/{id} and /orders/{id}', async () => {
    expect((await call('GET', `/admin/orders/${order.id}`, admin)).body.id).toBe(order.id);
    expect((await call('GET', `/orders/${order.id}`, admin)).body.id).toBe(order.id);
  });
});

describe('lists', () => {
  const CAROL = 9303;
  let carol: string;
  let created: Json[];
  beforeAll(async () => {
    carol = await svc.tokens.user(CAROL, 'carol@example.test');
    created = [];
    for (let i = 0; i < 3; i++) created.push(await createOrder(carol));
  });

  it('GET /?page=1&size=10 (storefront my orders) is an array with the fields the storefront reads', async () => {
    const { res, status, body } = await call('GET', '/?page=1&size=10', carol);
    expect(status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(3);
    expect(res.headers.get('x-total-count')).toBe('3');
    for (const row of body) {
      for (const field of ['id', 'order_number', 'status', 'payment_status', 'total_amount', 'created_at']) expect(row).toHaveProperty(field);
      expect(row.user_id).toBe(CAROL);
    }
    // newest first
    expect(body.map((o: Json) => o.id)).toEqual(created.map((o) => o.id).reverse());
    expect(svc.validateResponse('listMyOrders', 200, body)).toEqual([]);
  });

  it('GET /orders pages with X-Total-Count and Link', async () => {
    const { res, body } = await call('GET', '/orders?page=2&size=2', carol);
    expect(body).toHaveLength(1);
    expect(res.headers.get('x-total-count')).toBe('3');
    const link = res.headers.get('link')!;
    expect(link).toContain('rel="first"');
    expect(link).toContain('rel="prev"');
    expect(link).toContain('rel="last"');
    expect(link).not.toContain('rel="next"');
    expect(link).toMatch(/<\/orders\?page=1&size=2>; rel="first"/);
  });

  it('GET /orders?status filters', async () => {
    const { body } = await call('GET', '/orders?status=cancelled', carol);
    expect(body).toEqual([]);
  });

  it('GET /admin/orders (storefront admin list, no query) is an array with the fields it reads', async () => {
    const { res, status, body } = await call('GET', '/admin/orders', admin);
    expect(status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    expect(Number(res.headers.get('x-total-count'))).toBeGreaterThanOrEqual(3);
    for (const field of ['id', 'order_number', 'customer_email', 'user_id', 'status', 'payment_status', 'total_amount', 'created_at']) {
      expect(body[0]).toHaveProperty(field);
    }
    expect(svc.validateResponse('adminListOrders', 200, body)).toEqual([]);
  });

  it('GET /admin/orders filters by user_id', async () => {
    const { body } = await call('GET', `/admin/orders?user_id=${CAROL}&size=100`, admin);
    expect((body as Json[]).map((o) => o.user_id)).toEqual([CAROL, CAROL, CAROL]);
  });
});

describe('statistics', () => {
  it('GET /admin/stats (storefront dashboard) and /admin/orders/stats carry the fields the dashboard reads', async () => {
    await createOrder(alice);
    const twin = await call('GET', '/admin/stats', admin);
    const canonical = await call('GET', '/admin/orders/stats', admin);
    expect(twin.status).toBe(200);
    expect(canonical.status).toBe(200);
    for (const body of [twin.body, canonical.body]) {
      expect(body.total_orders).toBeGreaterThanOrEqual(1);
      expect(typeof body.completed_orders).toBe('number');
      expect(typeof body.pending_orders).toBe('number');
      expect(typeof body.revenue).toBe('number');
      expect(body.revenue).toBe(body.total_revenue);
      expect(body.completed_orders).toBe(body.delivered_orders);
    }
    expect(svc.validateResponse('adminOrderStats', 200, canonical.body)).toEqual([]);
  });
});

describe('status changes', () => {
  it('PUT /{id} (storefront admin status change) moves the order and records history', async () => {
    const order = await createOrder(alice);
    const { status, body } = await call('PUT', `/${order.id}`, admin, { status: 'confirmed' });
    expect(status).toBe(200);
    expect(body.status).toBe('confirmed');
    expect(body.confirmed_at).toEqual(expect.any(String));
    expect(body.status_history.at(-1)).toMatchObject({ from_status: 'pending', to_status: 'confirmed', actor_id: 1, actor_role: 'admin' });
  });

  it('PUT /orders/{id} sets tracking number and payment status', async () => {
    const order = await createOrder(alice);
    const { status, body } = await call('PUT', `/orders/${order.id}`, admin, { payment_status: 'paid', tracking_number: 'TRK-1', notes: 'gift' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ payment_status: 'paid', tracking_number: 'TRK-1', notes: 'gift', status: 'pending' });
  });

  it('PUT /admin/orders/{id}/status walks the lifecycle; a forbidden transition is 409 with the current status', async () => {
    const order = await createOrder(alice);
    for (const next of ['confirmed', 'processing', 'shipped']) {
      const { status, body } = await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: next, reason: `to ${next}` });
      expect(status).toBe(200);
      expect(body.status).toBe(next);
    }
    const { status, res, body } = await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: 'pending' });
    expect(status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(body.current_status).toBe('shipped');
    expect((await call('GET', `/orders/${order.id}`, alice)).body.status).toBe('shipped');
  });

  it('two concurrent identical status changes of one order: one 200, one 409, one history row', async () => {
    for (let round = 0; round < 5; round++) {
      const order = await createOrder(alice);
      const [a, b] = await Promise.all([
        call('PUT', `/admin/orders/${order.id}/status`, admin, { status: 'confirmed' }),
        call('PUT', `/admin/orders/${order.id}/status`, admin, { status: 'confirmed' }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const final = (await call('GET', `/orders/${order.id}`, alice)).body;
      expect(final.status).toBe('confirmed');
      expect(final.status_history.filter((h: Json) => h.to_status === 'confirmed')).toHaveLength(1);
    }
  });

  it('shipping and cancelling a processing order at once: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const order = await createOrder(alice);
      for (const next of ['confirmed', 'processing']) await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: next });
      const [ship, cancel] = await Promise.all([
        call('PUT', `/${order.id}`, admin, { status: 'shipped' }),
        call('DELETE', `/orders/${order.id}`, admin),
      ]);
      expect([ship.status, cancel.status].sort()).toEqual([200, 409]);
      const winner = ship.status === 200 ? 'shipped' : 'cancelled';
      const final = (await call('GET', `/orders/${order.id}`, alice)).body;
      expect(final.status).toBe(winner);
      expect(final.status_history.filter((h: Json) => h.from_status === 'processing')).toHaveLength(1);
    }
  });

  it('counts transitions in orders_status_transitions_total', async () => {
    const order = await createOrder(alice);
    await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: 'confirmed' });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/orders_status_transitions_total\{from="pending",to="confirmed"\} [1-9]/);
    expect(metrics).toMatch(/orders_created_total [1-9]/);
  });
});

describe('cancelling', () => {
  it('DELETE /orders/{id} lets the owner cancel a pending order (the row stays)', async () => {
    const order = await createOrder(alice);
    const { status, body } = await call('DELETE', `/orders/${order.id}`, alice);
    expect(status).toBe(200);
    expect(body.status).toBe('cancelled');
    expect(body.cancelled_at).toEqual(expect.any(String));
    expect((await call('GET', `/orders/${order.id}`, alice)).body.status).toBe('cancelled');
  });

  it('the owner cannot cancel a shipped order: 409 with the current status', async () => {
    const order = await createOrder(alice);
    for (const next of ['confirmed', 'processing', 'shipped']) await call('PUT', `/admin/orders/${order.id}/status`, admin, { status: next });
    const { status, body } = await call('DELETE', `/${order.id}`, alice);
    expect(status).toBe(409);
    expect(body.current_status).toBe('shipped');
  });
});

describe('ETag and If-Match', () => {
  it('a stale If-Match is 412 and changes nothing; the current one succeeds', async () => {
    const order = await createOrder(alice);
    const etag = (await call('GET', `/orders/${order.id}`, admin)).res.headers.get('etag')!;
    await call('PUT', `/orders/${order.id}`, admin, { notes: 'first' });
    const stale = await call('PUT', `/orders/${order.id}`, admin, { notes: 'second' }, { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect((await call('GET', `/orders/${order.id}`, admin)).body.notes).toBe('first');
    const fresh = (await call('GET', `/orders/${order.id}`, admin)).res.headers.get('etag')!;
    const ok = await call('PUT', `/orders/${order.id}`, admin, { notes: 'second' }, { 'if-match': fresh });
    expect(ok.status).toBe(200);
    expect(ok.res.headers.get('etag')).not.toBe(fresh);
  });

  it('If-Match on cancel: a stale tag is 412', async () => {
    const order = await createOrder(alice);
    await call('PUT', `/orders/${order.id}`, admin, { notes: 'bump' });
    const { status } = await call('DELETE', `/orders/${order.id}`, alice, undefined, { 'if-match': `"${order.version}"` });
    expect(status).toBe(412);
    expect((await call('GET', `/orders/${order.id}`, alice)).body.status).toBe('pending');
  });
});
