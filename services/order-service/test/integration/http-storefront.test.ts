// The storefront's every call of CONTRACTS.md §3 as it really arrives: through a proxy that rewrites
// like the platform's gateway (`/order(/|$)(.*)` → `/$2`, no X-Forwarded-Prefix), with the fields and
// JSON types its pages read (amounts as two-decimal strings, statistics as numbers). Paths that are
// no operation are 404 problems, malformed percent-encodings 400 problems, and neither counts as a 5xx.
import { startRewriteProxy } from '../support/rewrite-proxy.js';
import { startTestService, type TestService } from '../support/service.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Json = any;

const SHOPPER = 9801;
const OTHER_SHOPPER = 9802;
const address = { address: '1 Storefront Way', city: 'Portland', state: 'OR', postal_code: '97201', country: 'US' };
const AMOUNT = /^-?\d+\.\d{2}$/;

let svc: TestService;
let gateway: { url: string; close(): Promise<void> };
let shopper: string;
let admin: string;

/** The platform's gateway: its rewrite over a real socket, the raw path untouched, no X-Forwarded-Prefix sent or passed on. */
const startGateway = (target: string) =>
  startRewriteProxy({ target, paths: ['/order(/|$)(.*)'], rewriteTarget: '/$2', dropHeaders: ['x-forwarded-prefix'] });

beforeAll(async () => {
  svc = await startTestService();
  gateway = await startGateway(svc.url);
  shopper = await svc.tokens.user(SHOPPER, 'storefront@example.test');
  admin = await svc.tokens.admin(1);
});
afterAll(async () => {
  await gateway?.close();
  await svc?.stop();
});

/** A storefront call: `/order` + the path, as the browser sends it to the gateway. */
async function storefront(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${gateway.url}/order${path}`, {
    method,
    redirect: 'manual',
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, text, body: (text ? JSON.parse(text) : undefined) as Json };
}

function expectAmount(value: unknown): void {
  expect(typeof value).toBe('string');
  expect(value).toMatch(AMOUNT);
  expect(value).not.toBe('-0.00');
}
const cents = (amount: string) => Number(amount.replace('.', ''));

/** Checkout from the cart, as the storefront does (no items in the body). */
async function checkout(userId: number, token: string, cart: Array<{ id: number; quantity: number }>, path = ''): Promise<Json> {
  svc.peers.cart.setCart(
    userId,
    cart.map(({ id, quantity }) => ({ productId: id, sku: `SKU-${id}`, title: `Product ${id}`, quantity, price: svc.catalog.priceOf(id), currency: 'USD' })),
  );
  const { status, body } = await storefront('POST', path, token, {
    customer_email: 'storefront@example.test',
    shipping_address: address,
    customer_phone: '+1 555 0199',
    notes: 'ring twice',
  });
  expect(status).toBe(201);
  // the outbox relay empties the cart after the order: wait for that, or it would empty the next one
  const deadline = Date.now() + 10_000;
  while ((svc.peers.cart.cartOf(userId)?.length ?? 0) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  expect(svc.peers.cart.cartOf(userId) ?? []).toEqual([]);
  return body;
}

describe("the storefront's calls through the gateway", () => {
  let order: Json;
  beforeAll(async () => {
    // 2 × 24.50 and 1 × 0.29: the prices whose numbers would print as "$49" and "$0.29"
    order = await checkout(SHOPPER, shopper, [
      { id: 1, quantity: 2 },
      { id: 3, quantity: 1 },
    ]);
  });

  it('create order (POST /): 201 with every amount a two-decimal string, exact in cents', async () => {
    for (const field of ['subtotal', 'tax_amount', 'shipping_amount', 'discount_amount', 'total_amount']) expectAmount(order[field]);
    expect(order.subtotal).toBe('49.29');
    expect(cents(order.total_amount)).toBe(cents(order.subtotal) + cents(order.tax_amount) + cents(order.shipping_amount) - cents(order.discount_amount));
    expect(order.order_items.map((i: Json) => [i.product_id, i.unit_price, i.total_price])).toEqual([
      [1, '24.50', '49.00'],
      [3, '0.29', '0.29'],
    ]);
    expect(svc.validateResponse('storefrontCreateOrder', 201, order)).toEqual([]);
    // the same order through the trailing-slash spelling of the base URL
    const again = await checkout(SHOPPER, shopper, [{ id: 4, quantity: 1 }], '/');
    expect(again.order_items[0].unit_price).toBe('89.00');
  });

  it('my orders (GET /?page=1&size=10): an array of the fields it reads, total_amount a two-decimal string', async () => {
    const { status, body, res } = await storefront('GET', '/?page=1&size=10', shopper);
    expect(status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    expect(res.headers.get('x-total-count')).toBe(String(body.length));
    expect(body.map((o: Json) => o.id)).toContain(order.id);
    for (const row of body) {
      expect(row).toEqual(
        expect.objectContaining({ id: expect.any(Number), order_number: expect.any(String), status: expect.any(String), payment_status: expect.any(String), created_at: expect.any(String) }),
      );
      expectAmount(row.total_amount);
    }
    expect(body.find((o: Json) => o.id === order.id).total_amount).toBe(order.total_amount);
    expect(svc.validateResponse('storefrontRoot', 200, body)).toEqual([]);
  });

  it('order details (GET /{id}): the fields it reads with their types, amounts as strings; the cached copy the same', async () => {
    const first = await storefront('GET', `/${order.id}`, shopper);
    const second = await storefront('GET', `/${order.id}`, shopper); // from the cache
    expect(first.status).toBe(200);
    expect(second.text).toBe(first.text);
    const body = first.body;
    expect(body).toEqual(
      expect.objectContaining({
        order_number: order.order_number,
        created_at: expect.any(String),
        status: 'pending',
        payment_status: 'pending',
        shipping_address: address.address,
        shipping_city: address.city,
        customer_email: 'storefront@example.test',
      }),
    );
    for (const field of ['tax_amount', 'shipping_amount', 'total_amount']) {
      expectAmount(body[field]);
      expect(body[field]).toBe(order[field]);
    }
    for (const item of body.order_items) {
      expect(item).toEqual(expect.objectContaining({ product_name: expect.any(String), product_id: expect.any(Number), quantity: expect.any(Number) }));
      expectAmount(item.unit_price);
      expectAmount(item.total_price);
    }
    expect(svc.validateResponse('storefrontGetOrder', 200, body)).toEqual([]);
  });

  it('admin dashboard (GET /admin/stats): counts and revenue are JSON numbers', async () => {
    const { status, body } = await storefront('GET', '/admin/stats', admin);
    expect(status).toBe(200);
    for (const field of ['total_orders', 'completed_orders', 'pending_orders', 'revenue']) {
      expect(typeof body[field]).toBe('number');
      expect(Number.isFinite(body[field])).toBe(true);
    }
    expect(body.total_orders).toBeGreaterThanOrEqual(2);
    expect(body.pending_orders).toBeGreaterThanOrEqual(2);
    expect(svc.validateResponse('storefrontAdminStats', 200, body)).toEqual([]);
  });

  it('admin order list (GET /admin/orders) and getAllOrders (GET /admin?page=1&size=20) answer the same array', async () => {
    const list = await storefront('GET', '/admin/orders', admin);
    const all = await storefront('GET', '/admin?page=1&size=20', admin);
    expect(list.status).toBe(200);
    expect(all.status).toBe(200);
    expect(all.body).toEqual(list.body);
    expect(all.res.headers.get('x-total-count')).toBe(list.res.headers.get('x-total-count'));
    expect(all.res.headers.get('link')).toContain('</admin?page=1&size=20>; rel="first"');
    const row = all.body.find((o: Json) => o.id === order.id);
    expect(row).toEqual(
      expect.objectContaining({
        id: order.id,
        order_number: order.order_number,
        customer_email: 'storefront@example.test',
        user_id: SHOPPER,
        status: expect.any(String),
        payment_status: expect.any(String),
        created_at: expect.any(String),
      }),
    );
    for (const r of all.body) expectAmount(r.total_amount);
    expect(svc.validateResponse('storefrontAdminListOrders', 200, all.body)).toEqual([]);
    // the same admin-only rules as the canonical list
    expect((await storefront('GET', '/admin?page=1&size=20', shopper)).status).toBe(403);
    expect((await storefront('GET', '/admin?page=1&size=20')).status).toBe(401);
  });

  it('admin status change (PUT /{id} with {status}): response.ok, and the order shows it', async () => {
    const mine = await checkout(SHOPPER, shopper, [{ id: 2, quantity: 1 }]);
    const changed = await storefront('PUT', `/${mine.id}`, admin, { status: 'confirmed', tracking_number: 'TRK-1', notes: 'packed' });
    expect(changed.res.ok).toBe(true);
    expect(changed.body).toEqual(expect.objectContaining({ status: 'confirmed', tracking_number: 'TRK-1' }));
    expectAmount(changed.body.total_amount);
    expect((await storefront('GET', `/${mine.id}`, shopper)).body.status).toBe('confirmed');
  });

  it('gateway health (GET /health and GET / without a token): 200', async () => {
    for (const path of ['/health', '', '/']) {
      const { status, body } = await storefront('GET', path);
      expect({ path, status }).toEqual({ path, status: 200 });
      expect(body.status).toBe('healthy');
    }
  });

  it('no call is answered with a redirect', async () => {
    for (const path of ['/admin/orders', '/admin', '/admin/stats', `/${order.id}`, '/?page=1&size=10']) {
      const { status } = await storefront('GET', path, admin);
      expect({ path, status }).toEqual({ path, status: 200 });
    }
  });
});

// ---- paths that are no operation, and paths that cannot be decoded ------------------------------

async function fiveHundreds(): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  return [...text.matchAll(/^orders_http_requests_total\{[^}]*status="5\d\d"[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}
async function unmatched(status: number): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^orders_http_requests_total\\{[^}]*route="unmatched"[^}]*status="${status}"[^}]*\\} (\\d+)`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

async function expectProblem(res: Response, status: number, type?: string): Promise<Json> {
  expect({ url: res.url, status: res.status }).toEqual({ url: res.url, status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Json;
  expect(body).toEqual(expect.objectContaining({ status, title: expect.any(String), detail: expect.any(String), request_id: expect.any(String) }));
  if (type) expect(body.type).toMatch(new RegExp(`/${type}$`));
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+|URIError|node_modules/);
  return body;
}

describe('paths that are no operation', () => {
  const UNKNOWN = ['/foo', '/swagger-ui.css', '/admin/x', '/orders/1/items', '/123abc', '/favicon.ico'];

  it.each(UNKNOWN)('%s is a 404 problem with or without a token, directly and through the gateway', async (path) => {
    const before = await unmatched(404);
    for (const token of [undefined, shopper, admin, 'not-a-jwt']) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      await expectProblem(await fetch(`${svc.url}${path}`, { headers }), 404, 'not-found');
      await expectProblem(await fetch(`${gateway.url}/order${path}`, { headers }), 404, 'not-found');
    }
    expect(await unmatched(404)).toBe(before + 8);
  });

  it('another method on an unknown top-level path is 404, not 405', async () => {
    for (const method of ['PATCH', 'PUT', 'DELETE']) {
      await expectProblem(await fetch(`${svc.url}/foo`, { method, headers: { authorization: `Bearer ${admin}` } }), 404, 'not-found');
    }
  });

  it('a number-shaped id at the top level is still the order route: 400 naming order_id, 404 when not found', async () => {
    const bad = await expectProblem(await fetch(`${svc.url}/1.5`, { headers: { authorization: `Bearer ${admin}` } }), 400);
    expect(bad.errors).toEqual([expect.objectContaining({ field: 'order_id' })]);
    await expectProblem(await fetch(`${gateway.url}/order/987654321`, { headers: { authorization: `Bearer ${admin}` } }), 404, 'not-found');
    const other = await svc.tokens.user(OTHER_SHOPPER);
    await expectProblem(await fetch(`${svc.url}/987654321`, { headers: { authorization: `Bearer ${other}` } }), 404, 'not-found');
  });

  it('/admin with an unknown query parameter answers like /admin/orders with it (an operation, so 401 or 400, never 404 or 500)', async () => {
    for (const token of [undefined, admin]) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const twin = await fetch(`${svc.url}/admin?x=1`, { headers });
      const canonical = await fetch(`${svc.url}/admin/orders?x=1`, { headers });
      expect(twin.status).toBe(canonical.status);
      expect(twin.status).toBe(token ? 400 : 401);
      const [a, b] = [await expectProblem(twin, twin.status), await expectProblem(canonical, canonical.status)];
      expect(a.errors).toEqual(b.errors);
    }
  });
});

describe('malformed percent-encodings', () => {
  const MALFORMED = ['/%zz', '/orders/%zz', '/abc%', '/%', '/orders/%E0%A4%A', '/admin/orders/%C0', '/docs/%zz', '/admin%zz'];

  it.each(MALFORMED)('%s is a 400 malformed-path problem with or without a token, and no 5xx is counted', async (path) => {
    const [fivesBefore, fourHundredsBefore] = [await fiveHundreds(), await unmatched(400)];
    for (const token of [undefined, admin]) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      await expectProblem(await fetch(`${svc.url}${path}`, { headers }), 400, 'malformed-path');
      await expectProblem(await fetch(`${gateway.url}/order${path}`, { headers }), 400, 'malformed-path');
      await expectProblem(await fetch(`${svc.url}${path}`, { method: 'DELETE', headers }), 400, 'malformed-path');
    }
    expect(await fiveHundreds()).toBe(fivesBefore);
    expect(await unmatched(400)).toBe(fourHundredsBefore + 6);
  });

  it('a malformed path is logged as an answered 400, never as a failure', async () => {
    const body = await expectProblem(await fetch(`${svc.url}/orders/%zz`), 400, 'malformed-path');
    const mine = () =>
      svc
        .logText()
        .split('\n')
        .filter((l) => l.includes(body.request_id))
        .map((l) => JSON.parse(l) as Json);
    // the access log line is written once the response has finished
    const deadline = Date.now() + 5000;
    while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(mine()).toEqual([expect.objectContaining({ level: 'info', status: 400, route: 'unmatched', message: 'request answered' })]);
    expect(mine().map((l) => JSON.stringify(l)).join('\n')).not.toMatch(/URIError|\bat .*\.(ts|js):\d+/);
  });

  it('a well-formed escape still routes: /orders/%31%30 is order 10 (not this shopper\'s: 404), /orders/%41 a bad id', async () => {
    const other = await svc.tokens.user(OTHER_SHOPPER);
    const headers = { authorization: `Bearer ${other}` };
    const bad = await expectProblem(await fetch(`${svc.url}/orders/%41`, { headers }), 400, 'validation-failed');
    expect(bad.errors).toEqual([expect.objectContaining({ field: 'order_id' })]);
    const missing = await expectProblem(await fetch(`${svc.url}/orders/%31%30`, { headers }), 404, 'not-found');
    expect(missing.detail).not.toMatch(/No route/);
  });
});
