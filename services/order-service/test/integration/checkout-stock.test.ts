// Stock under concurrency and crashes: two service processes on one database selling a product
// with stock 10, and a process killed between the stock update and the order's commit.
import { QueryTypes } from 'sequelize';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startServiceProcess, type ServiceProcess } from '../support/process.js';
import { TEST_SECRET_KEY } from '../support/service.js';
import { startStandIns, type StandIns } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const tokens = createTokens(TEST_SECRET_KEY);
let tdb: TestDatabase;
let peers: StandIns;
const running: ServiceProcess[] = [];

function envFor(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ENVIRONMENT: 'test',
    DATABASE_URL: tdb.url,
    SECRET_KEY: TEST_SECRET_KEY,
    PRODUCT_SERVICE_URL: peers.product.url,
    CART_SERVICE_URL: peers.cart.url,
    DB_POOL_MAX: '6',
    SHUTDOWN_DELAY_SECONDS: '0',
    LOG_LEVEL: 'INFO', // the start line carries the URL
    ...extra,
  };
}

async function start(extra?: Record<string, string>): Promise<ServiceProcess> {
  const p = await startServiceProcess(envFor(extra));
  running.push(p);
  return p;
}

async function scalar(sql: string): Promise<number> {
  const [row] = await tdb.sequelize.query<{ n: string }>(sql, { type: QueryTypes.SELECT });
  return Number(row!.n);
}

async function order(url: string, productId: number, quantity: number, token: string): Promise<Response> {
  return fetch(`${url}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ product_id: productId, quantity }], shipping_address: address }),
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  peers = await startStandIns({ secretKey: TEST_SECRET_KEY });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill('SIGKILL')));
});
afterAll(async () => {
  await peers.close();
  await tdb.drop();
});

test('two instances, 50 concurrent orders for a product with stock 10: exactly 10 orders, stock 0, the rest 409', async () => {
  peers.product.setStock(4, 10);
  const [a, b] = await Promise.all([start(), start()]);
  const token = await tokens.user(1);
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => order(i % 2 ? a!.url : b!.url, 4, 1, token)));
  const statuses = responses.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(10);
  expect(statuses.filter((s) => s === 409)).toHaveLength(40);
  const refusal = (await responses.find((r) => r.status === 409)!.json()) as Json;
  expect(refusal).toMatchObject({ product_id: 4, available: 0 });
  expect(refusal.detail).toMatch(/product 4/);
  expect(peers.product.stockOf(4)).toBe(0);
  expect(await scalar("SELECT count(*) AS n FROM order_items WHERE product_id = 4")).toBe(10);
  // one reservation per batch of checkouts that went through the lock together, for their total
  expect(await scalar("SELECT coalesce(sum(quantity), 0) AS n FROM stock_reservations WHERE product_id = 4 AND state = 'applied'")).toBe(10);
  expect(await scalar("SELECT count(*) AS n FROM stock_reservations WHERE state = 'pending'")).toBe(0);
});

test('checkouts that wait for the same product go through together, each judged in arrival order', async () => {
  peers.product.setStock(5, 25);
  const svc = await start();
  const requestsBefore = peers.product.totalRequests();
  // 40 shoppers at once: quantities 1, 2 or 3; the stock runs out part way
  const quantities = Array.from({ length: 40 }, (_, i) => 1 + (i % 3));
  const responses = await Promise.all(quantities.map(async (q, i) => ({ q, user: 500 + i, r: await order(svc.url, 5, q, await tokens.user(500 + i)) })));
  const won = responses.filter((x) => x.r.status === 201);
  const refused = responses.filter((x) => x.r.status === 409);
  expect(won.length + refused.length).toBe(40);
  const sold = won.reduce((n, x) => n + x.q, 0);
  expect(sold).toBeLessThanOrEqual(25);
  expect(peers.product.stockOf(5)).toBe(25 - sold);
  // nobody was refused while their quantity was still there
  for (const x of refused) {
    const body = (await x.r.json()) as Json;
    expect(body.available).toBeLessThan(x.q);
  }
  expect(25 - sold).toBeLessThan(3); // the last refusals left less than the largest quantity
  // every order is its own shopper's, with its own items and totals
  const unitCents = await scalar("SELECT min(unit_price_cents) AS n FROM order_items WHERE product_id = 5");
  for (const x of won) {
    const body = (await x.r.json()) as Json;
    expect(body.user_id).toBe(x.user);
    expect(body.order_items).toEqual([expect.objectContaining({ product_id: 5, quantity: x.q })]);
    expect(body.subtotal).toMatch(/^\d+\.\d{2}$/);
    expect(Number(body.subtotal.replace('.', ''))).toBe(unitCents * x.q);
  }
  expect(await scalar("SELECT coalesce(sum(quantity), 0) AS n FROM order_items WHERE product_id = 5")).toBe(sold);
  expect(await scalar("SELECT coalesce(sum(quantity), 0) AS n FROM stock_reservations WHERE product_id = 5 AND state = 'applied'")).toBe(sold);
  // batched: far fewer product reads and writes than two per checkout
  const peerCalls = peers.product.totalRequests() - requestsBefore;
  expect(peerCalls).toBeLessThan(40);
});

test('killed between the stock update and the commit: after a restart the reconciler gives the stock back', async () => {
  peers.product.setStock(2, 20);
  const ordersBefore = await scalar('SELECT count(*) AS n FROM orders');
  const doomed = await start({ TEST_FAULT_POINT: 'after-stock-update' });
  const token = await tokens.user(2);
  await expect(order(doomed.url, 2, 3, token)).rejects.toThrow(); // the connection dies with the process
  expect(await doomed.exited).toBe('SIGKILL');
  expect(peers.product.stockOf(2)).toBe(17); // taken at the product service …
  expect(await scalar('SELECT count(*) AS n FROM orders')).toBe(ordersBefore); // … with no order
  expect(await scalar("SELECT count(*) AS n FROM stock_reservations WHERE product_id = 2 AND state = 'pending'")).toBe(1);

  // reconciles on start, and again each second should that first pass find the dead checkout not yet ended
  const reconciling = await start({ STOCK_RECONCILE_GRACE_SECONDS: '0', STOCK_RECONCILE_INTERVAL_SECONDS: '1' });
  // the stock is set back before the repair's mark commits: wait for both
  const compensated = () => scalar("SELECT count(*) AS n FROM stock_reservations WHERE product_id = 2 AND state = 'compensated'");
  const deadline = Date.now() + 15_000;
  while ((peers.product.stockOf(2) !== 20 || (await compensated()) !== 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const repaired = { stock: peers.product.stockOf(2), compensated: await compensated() };
  if (repaired.stock !== 20) console.log(`the reconciling service's log:\n${reconciling.output()}`);
  expect(repaired).toEqual({ stock: 20, compensated: 1 });
});

test('a failed stock update is compensated at once: nothing taken, nothing written, 503', async () => {
  peers.product.setStock(1, 100);
  peers.product.setStock(7, 12);
  const svc = await start();
  const ordersBefore = await scalar('SELECT count(*) AS n FROM orders');
  // product 1 is patched first (ascending order), then product 7's update fails
  peers.product.setFaults({ status500: true, onlyMethod: 'PATCH', onlyPath: '/products/7/stock' });
  try {
    const r = await fetch(`${svc.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokens.user(3)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ product_id: 7, quantity: 2 }, { product_id: 1, quantity: 1 }], shipping_address: address }),
    });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await r.json()).toMatchObject({ dependency: 'product-service' });
  } finally {
    peers.product.setFaults({});
  }
  expect(peers.product.stockOf(1)).toBe(100); // given back
  expect(peers.product.stockOf(7)).toBe(12);
  expect(await scalar('SELECT count(*) AS n FROM orders')).toBe(ordersBefore);
  expect(await scalar("SELECT count(*) AS n FROM stock_reservations WHERE product_id IN (1, 7) AND state = 'pending'")).toBe(0);
});

test('with STOCK_MANAGEMENT off the product service stock is never written', async () => {
  peers.product.setStock(8, 30);
  const svc = await start({ STOCK_MANAGEMENT: 'false' });
  const patches = peers.product.requests.get('PATCH /products/:id/stock') ?? 0;
  const r = await order(svc.url, 8, 2, await tokens.user(4));
  expect(r.status).toBe(201);
  expect(peers.product.stockOf(8)).toBe(30);
  expect(peers.product.requests.get('PATCH /products/:id/stock') ?? 0).toBe(patches);
});
