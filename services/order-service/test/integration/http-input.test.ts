// Bad input gets a clear application/problem+json answer and changes nothing: validation errors
// name their fields, unknown fields are refused, malformed/oversized/wrongly typed bodies are
// 400/413/415, non-numeric ids are 400, unsupported methods are 405 with Allow.
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let shopper: string;
const SHOPPER_ID = 9101;

beforeAll(async () => {
  svc = await startTestService();
  shopper = await svc.tokens.user(SHOPPER_ID);
});
afterAll(async () => {
  await svc?.stop();
});

const send = (method: string, path: string, body: string | undefined, headers: Record<string, string> = {}) =>
  fetch(`${svc.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { authorization: `Bearer ${shopper}`, 'content-type': 'application/json', ...headers },
    body,
  });

async function problemOf(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await res.json();
  expect(body).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status: res.status, detail: expect.any(String) }),
  );
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+|SELECT|INSERT|node_modules/);
  return body as { errors?: Array<{ field: string; message: string }>; detail: string };
}

async function myOrderCount(): Promise<number> {
  const res = await fetch(`${svc.url}/orders`, { headers: { authorization: `Bearer ${shopper}` } });
  return Number(res.headers.get('x-total-count'));
}

const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };

describe('request bodies', () => {
  it('validation errors list each offending field', async () => {
    const res = await send(
      'POST',
      '/orders',
      JSON.stringify({ items: [{ product_id: 'seven', quantity: 0 }], shipping_address: { city: 5 }, customer_email: 'not-an-email' }),
    );
    expect(res.status).toBe(400);
    const body = await problemOf(res);
    const fields = body.errors!.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'items[0].product_id',
        'items[0].quantity',
        'shipping_address.address',
        'shipping_address.city',
        'shipping_address.postal_code',
        'shipping_address.country',
        'customer_email',
      ]),
    );
    for (const e of body.errors!) expect(e.message).toEqual(expect.any(String));
  });

  it('a missing shipping address is 400 naming shipping_address', async () => {
    const res = await send('POST', '/orders', JSON.stringify({ items: [{ product_id: 1, quantity: 1 }] }));
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toContainEqual({ field: 'shipping_address', message: 'is required' });
  });

  it.each(['status', 'user_id', 'total_amount', 'unit_price'])(
    'a shopper cannot set %s: unknown body fields are rejected and nothing is written',
    async (field) => {
      const before = await myOrderCount();
      const res = await send(
        'POST',
        '/',
        JSON.stringify({ items: [{ product_id: svc.catalog.productIds[0], quantity: 1 }], shipping_address: address, [field]: 1 }),
      );
      expect(res.status).toBe(400);
      expect((await problemOf(res)).errors).toContainEqual({ field, message: 'is not an allowed field' });
      expect(await myOrderCount()).toBe(before);
    },
  );

  it('a price inside an item is rejected too', async () => {
    const res = await send(
      'POST',
      '/orders',
      JSON.stringify({ items: [{ product_id: svc.catalog.productIds[0], quantity: 1, unit_price: 0.01 }], shipping_address: address }),
    );
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toContainEqual({ field: 'items[0].unit_price', message: 'is not an allowed field' });
  });

  it('malformed JSON is 400 and nothing is written', async () => {
    const before = await myOrderCount();
    const res = await send('POST', '/orders', '{"shipping_address": {');
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(/not valid JSON/);
    expect(await myOrderCount()).toBe(before);
  });

  it('a JSON body that is not an object is 400', async () => {
    const res = await send('POST', '/orders', '"just a string"');
    expect(res.status).toBe(400);
    await problemOf(res);
  });

  it('a body over 100 kB (101 kB) is 413', async () => {
    const notes = 'x'.repeat(101 * 1024);
    const res = await send('POST', '/orders', JSON.stringify({ shipping_address: address, notes }));
    expect(res.status).toBe(413);
    await problemOf(res);
  });

  it('a body that is not JSON is 415', async () => {
    const res = await send('POST', '/orders', 'items=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    await problemOf(res);
  });

  it('no body at all is 400 asking for one', async () => {
    const res = await fetch(`${svc.url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${shopper}` } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toContainEqual({ field: 'body', message: 'a JSON body is required' });
  });

  it('an unknown status in a status change is 400 listing the allowed values', async () => {
    const admin = await svc.tokens.admin();
    const res = await send('PUT', '/admin/orders/1/status', JSON.stringify({ status: 'teleported' }), { authorization: `Bearer ${admin}` });
    expect(res.status).toBe(400);
    const body = await problemOf(res);
    expect(body.errors![0]).toMatchObject({ field: 'status' });
    expect(body.errors![0]!.message).toContain('delivered');
  });
});

describe('parameters', () => {
  it.each(['/orders/abc', '/1.5', '/-3', '/orders/1.5', '/orders/0', '/orders/-3', '/admin/orders/x', '/orders/99999999999999999999'])(
    'a non-numeric or out-of-range id (%s) is 400 naming order_id',
    async (path) => {
      const admin = await svc.tokens.admin();
      const res = await fetch(`${svc.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
      expect(res.status).toBe(400);
      expect((await problemOf(res)).errors).toEqual([expect.objectContaining({ field: 'order_id' })]);
    },
  );

  it('page size is capped at 100', async () => {
    const res = await fetch(`${svc.url}/orders?size=101`, { headers: { authorization: `Bearer ${shopper}` } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([expect.objectContaining({ field: 'size' })]);
  });

  it('an unknown query parameter is 400', async () => {
    const res = await fetch(`${svc.url}/orders?sort=desc`, { headers: { authorization: `Bearer ${shopper}` } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([expect.objectContaining({ field: 'sort' })]);
  });

  it('a date range that is not ISO-8601 is 400', async () => {
    const admin = await svc.tokens.admin();
    const res = await fetch(`${svc.url}/admin/orders?from=yesterday`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([expect.objectContaining({ field: 'from' })]);
  });
});

describe('routing', () => {
  it('an unknown path is a 404 problem', async () => {
    const res = await fetch(`${svc.url}/no/such/thing`);
    expect(res.status).toBe(404);
    await problemOf(res);
  });

  it('a top-level word is no order id: 404, not a bad id', async () => {
    const admin = await svc.tokens.admin();
    const res = await fetch(`${svc.url}/abc`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(404);
    expect((await problemOf(res)).errors).toBeUndefined();
  });

  it('an unsupported method is 405 with Allow', async () => {
    const res = await fetch(`${svc.url}/orders`, { method: 'PATCH', headers: { authorization: `Bearer ${shopper}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
    await problemOf(res);
  });
});
