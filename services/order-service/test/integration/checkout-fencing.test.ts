// Checkout facts that hold through a transaction pooler: idempotency keys fenced by a token per
// claim, stock locks that live in one transaction, and crash repair decided by the lock holder's
// transaction fate. The use cases against a real PostgreSQL, with in-test peer ports.
import pg from 'pg';
import { QueryTypes } from 'sequelize';
import { DependencyUnavailable } from '../../src/domain/errors.js';
import { createStockReservations } from '../../src/data/stock-reservations.js';
import type { OrderService } from '../../src/orders/service.js';
import { wireOrderService } from '../../src/wiring/order-service.js';
import { repairOrphanedStock } from '../../src/orders/stock-repair.js';
import type { Actor, Cart, CartLine, Catalog, CatalogProduct } from '../../src/orders/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const pricing = { taxRateBasisPoints: 1000, shippingFlatMinor: 1000, freeShippingThresholdMinor: 10000 };
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const alice: Actor = { userId: 1, email: 'alice@example.com', role: 'user' };

/** A product service holding stock, as the stand-in does: absolute sets, counted. */
function stockedCatalog(stock: Record<number, number>): Catalog & { stock: Map<number, number>; sets: number } {
  const levels = new Map(Object.entries(stock).map(([id, n]) => [Number(id), n]));
  return {
    stock: levels,
    sets: 0,
    async getProduct(id): Promise<CatalogProduct | null> {
      const s = levels.get(id);
      return s === undefined ? null : { id, sku: `SKU-${id}`, title: `Product ${id}`, priceMinor: 1000, currency: 'USD', image: null, stock: s, isActive: true };
    },
    async setStock(id, n) {
      this.sets += 1;
      levels.set(id, n);
    },
  };
}

/** A cart whose lookups can be made to wait until released: the request stalls before it reaches the database. */
function stallingCart(lines: CartLine[]): Cart & { lines: CartLine[]; stallNext(): () => void } {
  const gates: Array<Promise<void>> = [];
  return {
    lines,
    stallNext() {
      let open!: () => void;
      gates.push(new Promise<void>((r) => (open = r)));
      return open;
    },
    async getLines() {
      const gate = gates.shift();
      if (gate) await gate;
      return this.lines;
    },
    clear: async () => {},
  };
}

let tdb: TestDatabase;

async function scalar(sql: string, bind: Record<string, unknown> = {}): Promise<number> {
  const [row] = await tdb.sequelize.query<{ n: string }>(sql, { bind, type: QueryTypes.SELECT });
  return Number(row!.n);
}

beforeAll(async () => {
  tdb = await createTestDatabase({ poolMax: 6 });
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.sequelize.query('TRUNCATE orders, order_stats_daily, outbox_events, idempotency_keys, stock_reservations RESTART IDENTITY CASCADE');
});

function serviceWith(catalog: Catalog, cart: Cart, stockManagement: boolean): OrderService {
  return wireOrderService({ sequelize: tdb.sequelize, catalog, cart, pricing, stockManagement, idempotency: { ttlHours: 1, leaseSeconds: 1 } });
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 50));
}

async function leaseLapsed(key: string): Promise<void> {
  await waitFor(async () => (await scalar('SELECT count(*) AS n FROM idempotency_keys WHERE key = $key AND locked_until < now()', { key })) === 1);
}

describe.each([
  ['with stock management', true],
  ['without stock management', false],
])('a request stalled past its lease (%s)', (_name, stockManagement) => {
  test('its retry takes the key over and the stalled one cannot add a second order: it answers as a replay', async () => {
    const catalog = stockedCatalog({ 7: 100 });
    const cart = stallingCart([{ productId: 7, quantity: 2 }]);
    const orders = serviceWith(catalog, cart, stockManagement);
    const release = cart.stallNext();
    const stalled = orders.placeOrder(alice, { shipping_address: address }, { idempotencyKey: 'stall-1' });
    await leaseLapsed('stall-1');
    const retry = await orders.placeOrder(alice, { shipping_address: address }, { idempotencyKey: 'stall-1' });
    expect(retry.replayed).toBe(false);
    release();
    const late = await stalled;
    expect(late).toEqual({ order: retry.order, replayed: true });
    expect(await scalar('SELECT count(*) AS n FROM orders')).toBe(1);
    expect(await scalar("SELECT count(*) AS n FROM outbox_events WHERE type = 'order.created'")).toBe(1);
    if (stockManagement) expect(catalog.stock.get(7)).toBe(98); // taken once
  });
});

test('a stalled request that fails after its key was taken over does not free the key its retry holds', async () => {
  const cart = stallingCart([{ productId: 7, quantity: 1 }]);
  const orders = serviceWith(stockedCatalog({ 7: 100 }), cart, true);
  const releaseFirst = cart.stallNext();
  const first = orders.placeOrder(alice, { shipping_address: address }, { idempotencyKey: 'stall-2' });
  await leaseLapsed('stall-2');
  const releaseRetry = cart.stallNext();
  const retry = orders.placeOrder(alice, { shipping_address: address }, { idempotencyKey: 'stall-2' });
  await waitFor(async () => (await scalar("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'stall-2' AND locked_until > now()")) === 1);
  cart.lines = []; // the first one now fails (an empty cart) and gives up its claim
  releaseFirst();
  await expect(first).rejects.toMatchObject({ status: 422 });
  // the retry still holds the key: a third attempt is 409, not a fresh claim beside it
  await expect(orders.placeOrder(alice, { shipping_address: address }, { idempotencyKey: 'stall-2' })).rejects.toMatchObject({ status: 409 });
  cart.lines = [{ productId: 7, quantity: 1 }];
  releaseRetry();
  await expect(retry).resolves.toMatchObject({ replayed: false });
  expect(await scalar('SELECT count(*) AS n FROM orders')).toBe(1);
});

test('a key whose order transaction is deciding it is in flight: a take-over never waits for it (409)', async () => {
  const orders = serviceWith(stockedCatalog({ 7: 100 }), stallingCart([]), false);
  await tdb.sequelize.query(
    `INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at, token)
     VALUES (1, 'held', $fp, 'in_flight', now() - interval '1 minute', now() + interval '1 hour', gen_random_uuid())`,
    { bind: { fp: (await import('../../src/orders/service.js')).fingerprintOf({ shipping_address: address }) } },
  );
  const holder = new pg.Client({ connectionString: tdb.url });
  await holder.connect();
  try {
    await holder.query("BEGIN; SELECT 1 FROM idempotency_keys WHERE key = 'held' FOR UPDATE");
    const started = Date.now();
    await expect(orders.placeOrder(alice, { shipping_address: address }, { idempotencyKey: 'held' })).rejects.toMatchObject({ status: 409 });
    expect(Date.now() - started).toBeLessThan(1000);
    await holder.query('ROLLBACK');
  } finally {
    await holder.end();
  }
});

test('checkouts leave no advisory lock behind, and a held product lock times out as 503 stock-lock', async () => {
  const catalog = stockedCatalog({ 8: 30 });
  const orders = serviceWith(catalog, stallingCart([]), true);
  await Promise.all(Array.from({ length: 12 }, () => orders.createOrder(alice, { items: [{ product_id: 8, quantity: 1 }], shipping_address: address })));
  expect(catalog.stock.get(8)).toBe(18);
  expect(await scalar("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'")).toBe(0);

  const other = new pg.Client({ connectionString: tdb.url });
  await other.connect();
  try {
    // another replica's checkout holding product 8
    await other.query("BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('orders:stock:' || '8', 0))");
    const refused = orders.createOrder(alice, { items: [{ product_id: 8, quantity: 1 }], shipping_address: address });
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailable);
    await expect(refused).rejects.toMatchObject({ dependency: 'stock-lock' });
    await other.query('ROLLBACK');
  } finally {
    await other.end();
  }
  expect(catalog.stock.get(8)).toBe(18);
  expect(await scalar('SELECT count(*) AS n FROM orders')).toBe(12);
});

test('crash repair asks the lock holder’s fate: a live holder’s reservation is left alone, an aborted one is given back', async () => {
  const catalog = stockedCatalog({ 9: 7 }); // as if a checkout had taken 3 of 10
  const reservations = createStockReservations(tdb.sequelize);
  const holder = new pg.Client({ connectionString: tdb.url });
  await holder.connect();
  try {
    const { rows } = await holder.query<{ xid: string }>('BEGIN; SELECT pg_current_xact_id()::text AS xid').then((r) => (Array.isArray(r) ? r[1]! : r));
    await reservations.record([{ productId: 9, quantity: 3, stockBefore: 10, stockAfter: 7 }], rows[0]!.xid);
    const whileLive = await repairOrphanedStock([9], { reservations, catalog });
    expect(whileLive).toEqual({ restored: 0, untouched: 0, review: 0 });
    expect(catalog.stock.get(9)).toBe(7);
    await holder.query('ROLLBACK'); // the holder died before its orders committed
    const afterAbort = await repairOrphanedStock([9], { reservations, catalog });
    expect(afterAbort).toEqual({ restored: 1, untouched: 0, review: 0 });
    expect(catalog.stock.get(9)).toBe(10);
    expect(await scalar("SELECT count(*) AS n FROM stock_reservations WHERE state = 'compensated'")).toBe(1);
  } finally {
    await holder.end();
  }
});
