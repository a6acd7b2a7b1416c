// Authentication and authorisation over real sockets: every bad token is a 401 problem with
// WWW-Authenticate (never a 500), admin operations are 403 for shoppers, and public paths stay public.
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.stop();
});

const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(`${svc.url}${path}`, {
    redirect: 'manual',
    headers: { ...headers, ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
  });

async function expectUnauthorized(res: Response, tokenPresented: boolean) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer\b/);
  if (tokenPresented) expect(challenge).toContain('error="invalid_token"');
  else expect(challenge).not.toContain('error=');
  const body = await res.json();
  expect(body).toMatchObject({ status: 401, type: expect.stringContaining('unauthorized'), request_id: expect.any(String) });
}

describe('401 for every bad credential, on the canonical path and the storefront twin', () => {
  const badTokens: Array<[string, () => Promise<string>]> = [
    ['an expired token', () => svc.tokens.bad.expired()],
    ['a token signed with another key', () => svc.tokens.bad.wrongKey()],
    ['an alg:none token', () => svc.tokens.bad.algNone()],
    ['an HS512 token', () => svc.tokens.bad.hs512()],
    ['an RS256 token', () => svc.tokens.bad.rs256()],
    ['a token without sub', () => svc.tokens.bad.missingSub()],
    ['a token with a non-numeric sub', () => svc.tokens.bad.nonNumericSub()],
    ['a token not valid yet', () => svc.tokens.bad.notYetValid()],
    ['a token with a role that is not user or admin', () => svc.tokens.sign({ sub: '7', email: 'x@example.test', role: 'superuser' })],
    ['a token without email', () => svc.tokens.sign({ sub: '7', role: 'user' })],
    ['a token whose sub is a number, not a string', () => svc.tokens.sign({ sub: 7 as unknown as string, email: 'x@example.test', role: 'user' })],
    ['garbage', async () => 'not.a.jwt'],
  ];

  it.each(badTokens)('GET /orders with %s is 401 invalid_token', async (_name, make) => {
    await expectUnauthorized(await get('/orders', await make()), true);
  });

  it.each(badTokens)('GET / (storefront "my orders") with %s is 401, not the health check', async (_name, make) => {
    await expectUnauthorized(await get('/', await make()), true);
  });

  it('no Authorization header on /orders is 401 with a plain Bearer challenge', async () => {
    await expectUnauthorized(await get('/orders'), false);
  });

  it('a non-Bearer Authorization scheme is 401', async () => {
    await expectUnauthorized(await get('/orders', undefined, { authorization: 'Basic dXNlcjpwYXNz' }), true);
  });

  it.each([
    ['POST', '/orders'],
    ['POST', '/'],
    ['GET', '/orders/1'],
    ['GET', '/1'],
    ['PUT', '/1'],
    ['DELETE', '/orders/1'],
    ['GET', '/admin/orders'],
    ['GET', '/admin/stats'],
    ['GET', '/admin/orders/stats'],
    ['PUT', '/admin/orders/1/status'],
  ])('%s %s without a token is 401 before any validation', async (method, path) => {
    const res = await fetch(`${svc.url}${path}`, {
      method,
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: method === 'GET' || method === 'DELETE' ? undefined : '{"status":"shipped"}',
    });
    await expectUnauthorized(res, false);
  });

  it('a valid shopper token is accepted (jose-signed, verified by jsonwebtoken)', async () => {
    const res = await get('/orders', await svc.tokens.user(424242));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });
});

describe('tokens verified before', () => {
  it('a token accepted before is refused once it expires (remembering it does not extend it)', async () => {
    const token = await svc.tokens.sign({ sub: '4343', email: 'brief@example.test', role: 'user' }, { expiresInSeconds: 2 });
    expect((await get('/orders', token)).status).toBe(200);
    expect((await get('/orders', token)).status).toBe(200); // the remembered verification
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const res = await get('/orders', token);
    await expectUnauthorized(res.clone(), true);
    expect(((await res.json()) as { detail: string }).detail).toBe('The bearer token has expired');
  });

  it('a token that differs from an accepted one by one character is verified afresh and refused', async () => {
    const token = await svc.tokens.user(4344);
    expect((await get('/orders', token)).status).toBe(200);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    await expectUnauthorized(await get('/orders', `${token.slice(0, -1)}${last}`), true);
    await expectUnauthorized(await get('/orders', `${token} `.replace(/ $/, '.')), true);
  });
});

describe('admin operations', () => {
  it.each([
    ['GET', '/admin/orders', undefined],
    ['GET', '/admin/orders/stats', undefined],
    ['GET', '/admin/stats', undefined],
    ['GET', '/admin/orders/1', undefined],
    ['PUT', '/admin/orders/1/status', { status: 'confirmed' }],
    ['PUT', '/orders/1', { status: 'confirmed' }],
    ['PUT', '/1', { status: 'confirmed' }],
  ])('%s %s is 403 for a shopper', async (method, path, body) => {
    const res = await fetch(`${svc.url}${path}`, {
      method,
      redirect: 'manual',
      headers: { authorization: `Bearer ${await svc.tokens.user(5)}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 403, type: expect.stringContaining('forbidden') });
  });

  it('a shopper gets 403 on an admin route even with invalid query parameters (no probing)', async () => {
    const res = await get('/admin/orders?size=100000', await svc.tokens.user(5));
    expect(res.status).toBe(403);
  });

  it('an admin token reaches the admin routes', async () => {
    const res = await get('/admin/orders/stats', await svc.tokens.admin());
    expect(res.status).toBe(200);
  });
});

describe('public paths', () => {
  it('GET / without Authorization is the gateway health check', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'healthy', service: 'order-service' });
  });

  it('GET /health ignores a bad token', async () => {
    const res = await get('/health', 'not.a.jwt');
    expect(res.status).toBe(200);
  });
});
