// GET /admin/orders/stats/series and /admin/orders/stats/products over real sockets: admins only
// (401 without a token, 403 for a shopper), problem+json for every bad input, and a checkout and a
// cancellation showing up in the figures of the days around today.
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let admin: string;
let shopper: string;
const SHOPPER = 9401;
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };

beforeAll(async () => {
  svc = await startTestService();
  admin = await svc.tokens.admin(1);
  shopper = await svc.tokens.user(SHOPPER, 'stats-shopper@example.test');
});
afterAll(async () => {
  await svc?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Json = any;

async function get(path: string, token?: string) {
  const res = await fetch(`${svc.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Json };
}

// yesterday to tomorrow (UTC), so a run across midnight still sees its order
const around = () => {
  const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
  return `from=${day(-1)}&to=${day(1)}`;
};
const sum = (body: Json, field: string) => body.points.reduce((n: number, p: Json) => n + p[field], 0);

describe('who may read the trends and the best products', () => {
  test.each(['/admin/orders/stats/series?from=2026-01-01&to=2026-01-31', '/admin/orders/stats/products?from=2026-01-01&to=2026-01-31'])(
    '%s: 401 without a token, 403 for a shopper',
    async (path) => {
      const anonymous = await get(path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(anonymous.type).toMatch(/application\/problem\+json/);
      const refused = await get(path, shopper);
      expect(refused.status).toBe(403);
      expect(refused.body.type).toMatch(/\/forbidden$/);
    },
  );
});

describe('bad input is a 400 problem naming the field', () => {
  test.each([
    ['series', 'from=2026-02-30&to=2026-03-01', 'from'],
    ['series', 'from=2026-01-01', 'to'],
    ['series', 'from=yesterday&to=2026-03-01', 'from'],
    ['series', 'from=2026-03-02&to=2026-03-01', 'from'],
    ['series', 'from=2026-01-01&to=2026-01-31&interval=year', 'interval'],
    ['series', 'from=2026-01-01&to=2026-01-31&tz=Mars/Olympus_Mons', 'tz'],
    ['series', 'from=2026-01-01&to=2026-01-31&tz=%2B05:30', 'tz'],
    ['series', 'from=2020-01-01&to=2026-01-31&interval=day', 'interval'],
    ['series', 'from=1969-12-31&to=2026-01-31', 'from'],
    ['products', 'from=2026-01-01&to=2026-01-31&limit=0', 'limit'],
    ['products', 'from=2026-01-01&to=2026-01-31&limit=101', 'limit'],
    ['products', 'from=2026-01-01&to=2026-01-31&limit=ten', 'limit'],
    ['products', 'from=2026-02-01&to=2026-01-31', 'from'],
    ['products', 'to=2026-01-31', 'from'],
  ])('%s?%s → 400 on %s', async (what, query, field) => {
    const r = await get(`/admin/orders/stats/${what}?${query}`, admin);
    expect([r.status, r.type]).toEqual([400, expect.stringMatching(/application\/problem\+json/)]);
    expect(r.body.type).toMatch(/\/validation-failed$/);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });
});

describe('answers', () => {
  test('a checkout counts in the points around today and among the products at once; a cancellation takes it out of the products', async () => {
    const product = svc.catalog.productIds[1]!;
    const before = await get(`/admin/orders/stats/series?${around()}`, admin);
    const beforeProducts = await get(`/admin/orders/stats/products?${around()}&limit=100`, admin);
    expect(before.status).toBe(200);
    const created = await fetch(`${svc.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${shopper}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ product_id: product, quantity: 3 }], shipping_address: address }),
    });
    expect(created.status).toBe(201);
    const order = (await created.json()) as Json;

    const after = await get(`/admin/orders/stats/series?${around()}`, admin);
    expect(svc.validateResponse('adminOrderStatsSeries', 200, after.body)).toEqual([]);
    expect(after.body.points).toHaveLength(3);
    expect(sum(after.body, 'pending_orders')).toBe(sum(before.body, 'pending_orders') + 1);
    const unitsOf = (body: Json) => body.products.find((p: Json) => p.product_id === product)?.units ?? 0;
    const afterProducts = await get(`/admin/orders/stats/products?${around()}&limit=100`, admin);
    expect(svc.validateResponse('adminTopProducts', 200, afterProducts.body)).toEqual([]);
    expect(unitsOf(afterProducts.body)).toBe(unitsOf(beforeProducts.body) + 3);
    expect(afterProducts.body.products.find((p: Json) => p.product_id === product).product_name).toBe(order.order_items[0].product_name);

    const cancelled = await fetch(`${svc.url}/orders/${order.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${shopper}` } });
    expect(cancelled.status).toBe(200);
    expect(unitsOf((await get(`/admin/orders/stats/products?${around()}&limit=100`, admin)).body)).toBe(unitsOf(beforeProducts.body));
    const series = await get(`/admin/orders/stats/series?${around()}`, admin);
    expect(sum(series.body, 'cancelled_orders')).toBe(sum(before.body, 'cancelled_orders') + 1);
  });

  test('a year of days, a month of weeks in a half-hour zone: one point per period, each valid', async () => {
    const year = await get('/admin/orders/stats/series?from=2025-01-01&to=2025-12-31&interval=day&tz=Asia/Kolkata', admin);
    expect(year.status).toBe(200);
    expect(year.body.points).toHaveLength(365);
    expect(year.body.points[0]).toMatchObject({ start: '2025-01-01', from: '2024-12-31T18:30:00.000Z', to: '2025-01-01T18:30:00.000Z' });
    expect(svc.validateResponse('adminOrderStatsSeries', 200, year.body)).toEqual([]);
    const weeks = await get('/admin/orders/stats/series?from=2026-02-01&to=2026-02-28&interval=week&tz=Asia/Kathmandu', admin);
    expect(weeks.body.points.map((p: Json) => p.start)).toEqual(['2026-02-01', '2026-02-02', '2026-02-09', '2026-02-16', '2026-02-23']);
  });
});
