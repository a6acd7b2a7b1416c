// The peer clients against the stand-ins over real sockets: contract, faults, timeouts, breaker.
import { SignJWT } from 'jose';
import { DependencyUnavailable, Unauthorized } from '../../src/domain/errors.js';
import { createCartClient, createProductClient } from '../../src/peers/index.js';
import { startCartStandIn, startProductStandIn, type CartStandIn, type ProductStandIn } from '../support/stand-ins/index.js';

const SECRET = 'peer-test-secret-0123456789-abcdefghij';
let product: ProductStandIn;
let cart: CartStandIn;

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
});
afterAll(async () => {
  await product.close();
  await cart.close();
});
afterEach(() => {
  product.setFaults({});
  cart.setFaults({});
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
