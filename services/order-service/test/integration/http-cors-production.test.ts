// CORS per profile (the cors package): development allows loopback origins, production exactly the
// configured ones plus the storefront (the built-in default); an unlisted origin never gets a CORS
// header, and its preflight is a clean 204. Credentials allowed.
// One service per file: the production profile gets a file of its own (one database per process).
import { startTestService, type TestService } from '../support/service.js';

const STOREFRONT = 'https://ecommerce-microservices-platform.vercel.app';
const REQUEST_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-request-id', 'x-requested-with', 'accept'];
const EXPOSED = ['Location', 'ETag', 'Link', 'X-Total-Count', 'X-Next-Cursor', 'Idempotent-Replayed', 'Retry-After', 'X-Request-ID'];

describe('CORS (production profile)', () => {
  let prod: TestService;
  beforeAll(async () => {
    prod = await startTestService({ env: { ENVIRONMENT: 'production', CORS_ORIGINS: 'https://shop.example' } });
  });
  afterAll(async () => {
    await prod?.stop();
  });

  const preflight = (origin: string, path = '/orders', method = 'POST') =>
    fetch(`${prod.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': REQUEST_HEADERS.join(',') },
    });
  const corsHeaders = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith('access-control-'));

  it('allows a configured origin', async () => {
    const res = await fetch(`${prod.url}/health`, { headers: { origin: 'https://shop.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it("answers the storefront's browser-style preflight with every header it sends allowed", async () => {
    for (const [path, method] of [['/orders', 'POST'], ['/', 'POST'], ['/42', 'PUT'], ['/admin/orders/42/status', 'PATCH']] as const) {
      const res = await preflight(STOREFRONT, path, method);
      expect([path, res.status]).toEqual([path, 204]);
      expect(res.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-methods')!.split(',')).toContain(method);
      const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase().split(',');
      expect(allowed).toEqual(expect.arrayContaining(REQUEST_HEADERS));
      expect(res.headers.get('vary')).toMatch(/origin/i);
    }
  });

  it("exposes Location, ETag, Link, X-Total-Count, X-Next-Cursor, Idempotent-Replayed, Retry-After and X-Request-ID on the storefront's actual responses", async () => {
    const token = await prod.tokens.user(9501, 'cors@example.test');
    const created = await fetch(`${prod.url}/orders`, {
      method: 'POST',
      headers: { origin: STOREFRONT, authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'cors-production-1' },
      body: JSON.stringify({
        items: [{ product_id: prod.catalog.productIds[0], quantity: 1 }],
        shipping_address: { address: '1 Main St', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
    expect(created.headers.get('access-control-expose-headers')!.split(',')).toEqual(EXPOSED);
    // the exposed headers are really there to read
    expect(created.headers.get('location')).toMatch(/^\/orders\/\d+$/);
    expect(created.headers.get('etag')).toMatch(/^"\d+"$/);

    const list = await fetch(`${prod.url}/orders?page=1&size=1`, { headers: { origin: STOREFRONT, authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    expect(list.headers.get('access-control-expose-headers')!.split(',')).toEqual(EXPOSED);
    expect(list.headers.get('x-total-count')).toBe('1');
    expect(list.headers.get('link')).toContain('rel="first"');
  });

  it("lets an admin page's script read the search's next cursor (X-Next-Cursor exposed)", async () => {
    const token = await prod.tokens.user(9502, 'cors-next@example.test');
    const order = { items: [{ product_id: prod.catalog.productIds[0], quantity: 1 }], shipping_address: { address: '1 Main St', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' } };
    for (const key of ['cors-next-1', 'cors-next-2']) {
      const res = await fetch(`${prod.url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(order) });
      expect(res.status).toBe(201);
    }
    const page = await fetch(`${prod.url}/admin/orders?q=cors-next@example.test&size=1`, { headers: { origin: STOREFRONT, authorization: `Bearer ${await prod.tokens.admin()}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('access-control-expose-headers')!.split(',')).toContain('X-Next-Cursor');
    expect(page.headers.get('x-next-cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("gives an unlisted origin's preflight a clean 204 without any CORS header (not 405)", async () => {
    for (const origin of ['https://evil.example', 'http://localhost:3000', `${STOREFRONT}.evil.example`]) {
      for (const [path, method] of [['/orders', 'POST'], ['/42', 'PUT'], ['/health', 'GET']] as const) {
        const res = await preflight(origin, path, method);
        expect([origin, path, res.status, corsHeaders(res)]).toEqual([origin, path, 204, []]);
        expect(await res.text()).toBe('');
      }
    }
  });

  it('denies localhost and unlisted origins', async () => {
    for (const origin of ['http://localhost:3000', 'https://evil.example', 'https://shop.example.evil.example']) {
      const res = await fetch(`${prod.url}/health`, { headers: { origin } });
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
      expect(res.headers.get('vary')).toMatch(/origin/i);
    }
  });
});
