// The peer clients against the stand-ins over real sockets: contract, faults, timeouts, breaker.
import { SignJWT } from 'jose';
import { DependencyUnavailable, Unauthorized } from '../../src/domain/errors.js';
import { createCartClient, createProductClient, createUserClient } from '../../src/peers/index.js';
import {
  startCartStandIn,
  startProductStandIn,
  startUserStandIn,
  type CartStandIn,
  type ProductStandIn,
  type UserStandIn,
} from '../support/stand-ins/index.js';

const SECRET = 'peer-test-secret-0123456789-abcdefghij';
let product: ProductStandIn;
let cart: CartStandIn;
let user: UserStandIn;

async function bearer(sub: string): Promise<string> {
  const jwt = await new SignJWT({ email: 'a@example.com', role: 'user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));
  return `Bearer ${jwt}`;
}

beforeAll(async () => {
  product = await startProductStandIn();
  cart = await startCartStandIn({ secretKey: SECRET });
  user = await startUserStandIn({ secretKey: SECRET });
});
afterAll(async () => {
  await product.close();
  await cart.close();
  await user.close();
});
afterEach(() => {
  product.setFaults({});
  cart.setFaults({});
  user.setFaults({});
});

describe('product stand-in follows the contract', () => {
  test('GET /products/{id}: success envelope with _id; missing or inactive 404 with the error shape', async () => {
    const ok = await fetch(`${product.url}/products/7`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await ok.json()).toMatchObject({ success: true, data: { _id: 7, price: 19.99, currency: 'USD', isActive: true } });
    for (const id of [6, 999]) {
      const r = await fetch(`${product.url}/products/${id}`);
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ success: false, error: 'Product not found' });
    }
  });

  test('PATCH stock sets an absolute value; negative is 400; unknown is 404', async () => {
    const patch = (id: number, body: unknown) =>
      fetch(`${product.url}/products/${id}/stock`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const r = await patch(4, { stock: 7 });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ success: true, message: expect.any(String), data: { _id: 4, stock: 7 } });
    expect(product.stockOf(4)).toBe(7);
    expect((await patch(4, { stock: -1 })).status).toBe(400);
    expect((await patch(999, { stock: 1 })).status).toBe(404);
    product.setStock(4, 12);
  });
});

describe('cart stand-in follows the contract', () => {
  test('GET /cart/{userId}: 200 for the owner, 403 for another user, 401 without a valid token, empty bodies on errors', async () => {
    cart.setCart(1, [{ productId: 7, sku: 'SKU-7', title: 'Tumbler', quantity: 2, price: 19.99, currency: 'USD' }]);
    const ok = await fetch(`${cart.url}/cart/1`, { headers: { authorization: await bearer('1') } });
    expect(await ok.json()).toEqual({ userId: 1, items: [expect.objectContaining({ productId: 7, quantity: 2 })], total: 39.98, currency: 'USD' });
    const other = await fetch(`${cart.url}/cart/1`, { headers: { authorization: await bearer('2') } });
    expect(other.status).toBe(403);
    expect(await other.text()).toBe('');
    const none = await fetch(`${cart.url}/cart/1`);
    expect(none.status).toBe(401);
    expect(await none.text()).toBe('');
    const empty = await fetch(`${cart.url}/cart/5`, { headers: { authorization: await bearer('5') } });
    expect(await empty.json()).toMatchObject({ userId: 5, items: [] });
  });

  test('DELETE /cart: text answers, 404 when there is no cart', async () => {
    cart.setCart(3, [{ productId: 1, sku: 'SKU-1', title: 'Beans', quantity: 1, price: 24.5, currency: 'USD' }]);
    const auth = { authorization: await bearer('3') };
    const r = await fetch(`${cart.url}/cart`, { method: 'DELETE', headers: auth });
    expect([r.status, await r.text()]).toEqual([200, 'Cart cleared successfully']);
    const again = await fetch(`${cart.url}/cart`, { method: 'DELETE', headers: auth });
    expect([again.status, await again.text()]).toEqual([404, 'Cart not found']);
  });
});

describe('the stand-ins take the paths their frameworks take', () => {
  test('the cart answers DELETE /cart/ like DELETE /cart (Spring); the product service takes a trailing slash (Express)', async () => {
    cart.setCart(6, [{ productId: 1, sku: 'SKU-1', title: 'Beans', quantity: 1, price: 24.5, currency: 'USD' }]);
    const auth = { authorization: await bearer('6') };
    const r = await fetch(`${cart.url}/cart/`, { method: 'DELETE', headers: auth });
    expect([r.status, await r.text()]).toEqual([200, 'Cart cleared successfully']);
    const again = await fetch(`${cart.url}/cart/`, { method: 'DELETE', headers: auth });
    expect([again.status, await again.text()]).toEqual([404, 'Cart not found']);
    expect((await fetch(`${cart.url}/cart/`, { method: 'DELETE' })).status).toBe(401);
    expect(await (await fetch(`${product.url}/products/7/`)).json()).toMatchObject({ success: true, data: { _id: 7 } });
  });
});

describe('user stand-in follows the contract', () => {
  test('GET /auth/me: the token\'s user with every field; blocked and suspended 403 with the service\'s own body; unknown or bad token 401', async () => {
    const me = await fetch(`${user.url}/auth/me`, { headers: { authorization: await bearer('1') } });
    expect(me.status).toBe(200);
    expect(me.headers.get('content-type')).toBe('application/json');
    const body = (await me.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ['id', 'name', 'email', 'mobile', 'role', 'status', 'is_email_verified', 'created_at', 'last_login', 'blocked_at', 'blocked_reason'].sort(),
    );
    expect(body).toMatchObject({ id: 1, email: 'shopper@example.com', role: 'user', status: 'active', blocked_at: null });

    for (const status of ['blocked', 'suspended'] as const) {
      user.setStatus(21, status, 'fraud review');
      const refused = await fetch(`${user.url}/auth/me`, { headers: { authorization: await bearer('21') } });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toBe('{"detail":"Account is blocked. Contact administrator."}');
      expect(user.profileOf(21)).toMatchObject({ status, blocked_reason: 'fraud review', blocked_at: expect.any(String) });
    }
    user.setStatus(21, 'pending_verification');
    expect(await (await fetch(`${user.url}/auth/me`, { headers: { authorization: await bearer('21') } })).json()).toMatchObject({ status: 'pending_verification', blocked_at: null });

    user.removeUser(22);
    const gone = await fetch(`${user.url}/auth/me`, { headers: { authorization: await bearer('22') } });
    expect(gone.status).toBe(401);
    expect(gone.headers.get('www-authenticate')).toBe('Bearer');
    for (const authorization of ['Bearer not-a-token', (await bearer('x')), '']) {
      const bad = await fetch(`${user.url}/auth/me`, { headers: authorization ? { authorization } : {} });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toEqual({ detail: expect.any(String) });
    }
  });

  test('a closed directory knows only its users; login refuses a blocked account; /health only, not /user/health', async () => {
    const closed = await startUserStandIn({ secretKey: SECRET, open: false });
    try {
      expect((await fetch(`${closed.url}/auth/me`, { headers: { authorization: await bearer('77') } })).status).toBe(401);
      expect((await fetch(`${closed.url}/auth/me`, { headers: { authorization: await bearer('1') } })).status).toBe(200);
      const login = (email: string, password: string) =>
        fetch(`${closed.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
      expect(await (await login('shopper@example.com', 'shopper-password')).json()).toMatchObject({ token_type: 'bearer', expires_in: 1800 });
      const blocked = await login('blocked@example.com', 'blocked-password');
      expect([blocked.status, await blocked.text()]).toEqual([403, '{"detail":"Account is blocked. Contact administrator."}']);
      expect(await (await fetch(`${closed.url}/health`)).json()).toMatchObject({ status: 'healthy' });
      closed.setHealth('degraded');
      expect(await (await fetch(`${closed.url}/health`)).json()).toMatchObject({ status: 'degraded' });
      expect((await fetch(`${closed.url}/user/health`)).status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});

describe('user client', () => {
  test('GET /auth/me with the caller\'s token: active may buy; 403 and other statuses may not; 401 is Unauthorized', async () => {
    const client = createUserClient({ baseUrl: user.url });
    const seen = user.requests.get('GET /auth/me') ?? 0;
    expect(await client.standingOf({ authorization: await bearer('31') })).toEqual({ status: 'active', mayBuy: true });
    user.block(32);
    expect(await client.standingOf({ authorization: await bearer('32') })).toEqual({ status: null, mayBuy: false });
    user.setStatus(33, 'pending_verification');
    expect(await client.standingOf({ authorization: await bearer('33') })).toEqual({ status: 'pending_verification', mayBuy: false });
    user.removeUser(34);
    await expect(client.standingOf({ authorization: await bearer('34') })).rejects.toBeInstanceOf(Unauthorized);
    expect((user.requests.get('GET /auth/me') ?? 0) - seen).toBe(4);
    client.shutdown();
  });

  test('a user service that errs, hangs or sends something odd is DependencyUnavailable', async () => {
    const client = createUserClient({ baseUrl: user.url, timeoutMs: 200 });
    const ctx = { authorization: await bearer('35') };
    for (const fault of [{ status500: true }, { hang: true }, { reset: true }]) {
      user.setFaults(fault);
      await expect(client.standingOf(ctx)).rejects.toMatchObject({ status: 503, dependency: 'user-service' });
    }
    client.shutdown();
    const odd = createUserClient({ baseUrl: product.url }); // answers 404 with another service's body
    await expect(odd.standingOf(ctx)).rejects.toBeInstanceOf(DependencyUnavailable);
    odd.shutdown();
  });
});

describe('product client', () => {
  test('prices become exact cents; missing and inactive products are null', async () => {
    const client = createProductClient({ baseUrl: product.url });
    expect(await client.getProduct(3, {})).toMatchObject({ id: 3, priceMinor: 29, stock: 500, isActive: true });
    expect(await client.getProduct(7, {})).toMatchObject({ priceMinor: 1999, sku: 'SKU-7' });
    expect(await client.getProduct(6, {})).toBeNull();
    expect(await client.getProduct(999, {})).toBeNull();
    client.shutdown();
  });

  test('a hanging product service fails within the timeout as DependencyUnavailable', async () => {
    const client = createProductClient({ baseUrl: product.url, timeoutMs: 200 });
    product.setFaults({ hang: true });
    const started = Date.now();
    await expect(client.getProduct(7, {})).rejects.toBeInstanceOf(DependencyUnavailable);
    expect(Date.now() - started).toBeLessThan(1500); // two attempts of 200 ms plus jitter
    client.shutdown();
  });

  test('a reset connection and a slow body are outages, not crashes', async () => {
    const client = createProductClient({ baseUrl: product.url, timeoutMs: 300 });
    product.setFaults({ reset: true });
    await expect(client.getProduct(7, {})).rejects.toMatchObject({ status: 503, dependency: 'product-service' });
    product.setFaults({ slowBodyMs: 100 });
    await expect(client.getProduct(7, {})).rejects.toBeInstanceOf(DependencyUnavailable);
    client.shutdown();
  });

  test('one failed read is retried: a single 500 is not an outage', async () => {
    const client = createProductClient({ baseUrl: product.url });
    product.setFaults({ status500: true });
    const before = product.requests.get('GET /products/:id') ?? 0;
    const pending = client.getProduct(7, {});
    setTimeout(() => product.setFaults({}), 20); // the retry comes 50–150 ms later
    await expect(pending).resolves.toMatchObject({ id: 7 });
    expect((product.requests.get('GET /products/:id') ?? 0) - before).toBe(2);
    client.shutdown();
  });

  test('the breaker opens after repeated failures, fails fast while open, and closes after recovery', async () => {
    const client = createProductClient({ baseUrl: product.url, volumeThreshold: 3, resetTimeoutMs: 300 });
    product.setFaults({ status500: true });
    for (let i = 0; i < 4; i++) await expect(client.getProduct(7, {})).rejects.toBeInstanceOf(DependencyUnavailable);
    expect(client.breakerState).toBe('open');
    const seen = product.totalRequests();
    const err = await client.getProduct(7, {}).catch((e) => e);
    expect(err).toBeInstanceOf(DependencyUnavailable);
    expect(err.retryAfterSeconds).toBe(1);
    expect(product.totalRequests()).toBe(seen); // open: no request reached the peer
    product.setFaults({});
    await new Promise((r) => setTimeout(r, 350));
    await expect(client.getProduct(7, {})).resolves.toMatchObject({ id: 7 });
    expect(client.breakerState).toBe('closed');
    client.shutdown();
  });
});

describe('cart client', () => {
  test('reads lines (never prices), forwards the token, clears with 404 counted as done', async () => {
    const client = createCartClient({ baseUrl: cart.url });
    cart.setCart(4, [{ productId: 2, sku: 'SKU-2', title: 'Mug', quantity: 3, price: 0.01, currency: 'USD' }]);
    const ctx = { authorization: await bearer('4') };
    expect(await client.getLines(4, ctx)).toEqual([{ productId: 2, quantity: 3 }]);
    await client.clear(ctx);
    expect(cart.cartOf(4)).toBeUndefined();
    await expect(client.clear(ctx)).resolves.toBeUndefined();
    await expect(client.getLines(4, { authorization: await bearer('9') })).rejects.toBeInstanceOf(Unauthorized);
    cart.setFaults({ status500: true });
    await expect(client.getLines(4, ctx)).rejects.toMatchObject({ dependency: 'cart-service' });
    client.shutdown();
  });
});
