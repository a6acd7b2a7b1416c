// The order use cases against a real PostgreSQL, with in-test implementations of the peer ports.
import { QueryTypes } from 'sequelize';
import { Conflict, DependencyUnavailable, Forbidden, InvalidTransition, NotFound, PreconditionFailed, Unprocessable, ValidationFailed } from '../../src/domain/errors.js';
import { createOrderRepository } from '../../src/data/order-repository.js';
import type { OrderService } from '../../src/orders/service.js';
import { wireOrderService } from '../../src/wiring/order-service.js';
import type { Actor, Cart, CartLine, Catalog, CatalogProduct } from '../../src/orders/ports.js';
import { toOrderJson, toStatsJson } from '../../src/http/order-views.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const pricing = { taxRateBasisPoints: 1000, shippingFlatMinor: 1000, freeShippingThresholdMinor: 10000 };
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const alice: Actor = { userId: 1, email: 'alice@example.com', role: 'user' };
const bob: Actor = { userId: 2, email: 'bob@example.com', role: 'user' };
const admin: Actor = { userId: 99, email: 'admin@example.com', role: 'admin' };

function product(id: number, priceMinor: number, extra: Partial<CatalogProduct> = {}): CatalogProduct {
  return { id, sku: `SKU-${id}`, title: `Product ${id}`, priceMinor, currency: 'USD', image: null, stock: 50, isActive: true, ...extra };
}

function catalogOf(products: CatalogProduct[]): Catalog & { down: boolean } {
  const byId = new Map(products.map((p) => [p.id, p]));
  return {
    down: false,
    async getProduct(id) {
      if (this.down) throw new DependencyUnavailable('product-service', 'The product service is unavailable');
      return byId.get(id) ?? null;
    },
    async setStock() {},
  };
}

function cartOf(lines: Record<number, CartLine[]>): Cart {
  return { getLines: async (userId) => lines[userId] ?? [], clear: async () => {} };
}

let tdb: TestDatabase;
let orders: OrderService;
let catalog: ReturnType<typeof catalogOf>;

async function count(table: string): Promise<number> {
  const [row] = await tdb.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, { type: QueryTypes.SELECT });
  return Number(row!.n);
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  catalog = catalogOf([product(7, 1999), product(8, 29), product(9, 5000, { isActive: false }), product(10, 1500, { stock: 1 })]);
  orders = wireOrderService({
    sequelize: tdb.sequelize,
    catalog,
    cart: cartOf({ 1: [{ productId: 7, quantity: 2 }], 2: [] }),
    pricing,
  });
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  catalog.down = false;
  await tdb.sequelize.query('TRUNCATE orders, order_stats_daily, outbox_events RESTART IDENTITY CASCADE');
});

describe('creating an order', () => {
  test('items from the cart are charged at the product service price, not the cart price', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address, customer_email: 'spoof@example.com' });
    expect(o.items).toHaveLength(1);
    expect(o.items[0]).toMatchObject({ productId: 7, quantity: 2, unitPriceMinor: 1999, totalPriceMinor: 3998, productName: 'Product 7', sku: 'SKU-7' });
    expect(o).toMatchObject({ subtotalMinor: 3998, taxMinor: 400, shippingMinor: 1000, totalMinor: 5398, status: 'pending' });
    expect(o.customerEmail).toBe('alice@example.com'); // from the token, never the body
    expect(o.orderNumber).toMatch(/^ORD-\d{8}-[A-Z0-9]{8}$/);
    expect(o.history).toEqual([expect.objectContaining({ fromStatus: null, toStatus: 'pending', actorId: 1 })]);
    const json = toOrderJson(o);
    expect(json).toMatchObject({ subtotal: '39.98', tax_amount: '4.00', shipping_amount: '10.00', discount_amount: '0.00', total_amount: '53.98', shipping_address: '1 Main St', shipping_city: 'Springfield' });
  });

  test('the order a checkout returns is the order as stored (items in order, history, timestamps)', async () => {
    const o = await orders.createOrder(alice, {
      items: [{ product_id: 8, quantity: 1 }, { product_id: 7, quantity: 3 }],
      shipping_address: address,
      billing_address: { ...address, city: 'Shelbyville' },
      notes: 'leave at the door',
    });
    const stored = await createOrderRepository(tdb.sequelize).findById(o.id);
    expect(o).toEqual(stored);
    expect(o.items.map((i) => i.productId)).toEqual([8, 7]);
    expect(o.createdAt).toBeInstanceOf(Date);
  });

  test('orders placed at the same moment share transactions, each still whole and exact', async () => {
    const shoppers = Array.from({ length: 40 }, (_, i) => ({ userId: 700 + i, email: `s${700 + i}@example.com`, role: 'user' as const }));
    const placed = await Promise.all(shoppers.map((who, i) => orders.createOrder(who, { items: [{ product_id: 8, quantity: 1 + (i % 4) }], shipping_address: address })));
    placed.forEach((o, i) => {
      expect(o.userId).toBe(700 + i);
      expect(o.items).toEqual([expect.objectContaining({ productId: 8, quantity: 1 + (i % 4), totalPriceMinor: 29 * (1 + (i % 4)) })]);
    });
    expect(new Set(placed.map((o) => o.orderNumber)).size).toBe(40);
    expect(await count('orders')).toBe(40);
    expect(await count('outbox_events')).toBe(40);
    // xmin is the inserting transaction: fewer transactions than orders
    const [row] = await tdb.sequelize.query<{ n: string }>('SELECT count(DISTINCT xmin::text) AS n FROM orders', { type: QueryTypes.SELECT });
    expect(Number(row!.n)).toBeLessThan(40);
  });

  test('explicit items are merged per product and priced exactly', async () => {
    const o = await orders.createOrder(alice, {
      items: [{ product_id: 8, quantity: 2 }, { product_id: 8, quantity: 1 }],
      shipping_address: address,
    });
    expect(o.items).toEqual([expect.objectContaining({ productId: 8, quantity: 3, unitPriceMinor: 29, totalPriceMinor: 87 })]);
    expect(toOrderJson(o).subtotal).toBe('0.87');
    expect(toOrderJson(o).order_items[0]).toMatchObject({ unit_price: '0.29', total_price: '0.87' });
  });

  test('refusals write nothing: no address, empty cart, unknown, inactive, short stock, product service down', async () => {
    await expect(orders.createOrder(alice, { items: [{ product_id: 7, quantity: 1 }] })).rejects.toBeInstanceOf(ValidationFailed);
    await expect(orders.createOrder(bob, { shipping_address: address })).rejects.toMatchObject({ type: 'empty-cart' });
    await expect(orders.createOrder(alice, { items: [{ product_id: 404, quantity: 1 }], shipping_address: address })).rejects.toMatchObject({
      type: 'product-unavailable',
      extra: { product_id: 404 },
    });
    await expect(orders.createOrder(alice, { items: [{ product_id: 9, quantity: 1 }], shipping_address: address })).rejects.toBeInstanceOf(Unprocessable);
    await expect(orders.createOrder(alice, { items: [{ product_id: 10, quantity: 2 }], shipping_address: address })).rejects.toBeInstanceOf(Conflict);
    catalog.down = true;
    await expect(orders.createOrder(alice, { items: [{ product_id: 7, quantity: 1 }], shipping_address: address })).rejects.toBeInstanceOf(DependencyUnavailable);
    expect(await count('orders')).toBe(0);
    expect(await count('order_items')).toBe(0);
    expect(await count('order_status_history')).toBe(0);
  });
});

describe('reading orders', () => {
  test("a shopper cannot read another shopper's order: it is not found", async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    await expect(orders.getOrder(bob, o.id)).rejects.toBeInstanceOf(NotFound);
    await expect(orders.getOrder(alice, o.id)).resolves.toMatchObject({ id: o.id });
    await expect(orders.getOrder(admin, o.id)).resolves.toMatchObject({ id: o.id });
    await expect(orders.getOrder(alice, 999999)).rejects.toBeInstanceOf(NotFound);
  });

  test('my orders: newest first, paginated, filtered by status, only mine', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await orders.createOrder(alice, { shipping_address: address })).id);
    await orders.createOrder(bob, { items: [{ product_id: 7, quantity: 1 }], shipping_address: address });
    await orders.changeStatus(admin, ids[0]!, { status: 'confirmed' });
    const page1 = await orders.listOrders(alice, { page: 1, size: 2 });
    expect(page1.total).toBe(5);
    expect(page1.items.map((o) => o.id)).toEqual([ids[4], ids[3]]);
    const page3 = await orders.listOrders(alice, { page: 3, size: 2 });
    expect(page3.items.map((o) => o.id)).toEqual([ids[0]]);
    const confirmed = await orders.listOrders(alice, { status: 'confirmed' });
    expect(confirmed.items.map((o) => o.id)).toEqual([ids[0]]);
    expect(confirmed.items[0]).toMatchObject({ itemCount: 1, totalMinor: 5398 });
    const huge = await orders.listOrders(alice, { size: 10_000 });
    expect(huge.items).toHaveLength(5); // capped, not refused
  });

  test('admin listing filters by user and status and is admin-only', async () => {
    await orders.createOrder(alice, { shipping_address: address });
    await orders.createOrder(bob, { items: [{ product_id: 7, quantity: 1 }], shipping_address: address });
    expect((await orders.adminListOrders(admin, {})).total).toBe(2);
    expect((await orders.adminListOrders(admin, { userId: 2 })).items.map((o) => o.userId)).toEqual([2]);
    await expect(orders.adminListOrders(alice, {})).rejects.toBeInstanceOf(Forbidden);
  });
});

describe('changing status', () => {
  test('each admin change stamps its time and writes a history row', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    await orders.changeStatus(admin, o.id, { status: 'confirmed', reason: 'payment received' });
    await orders.changeStatus(admin, o.id, { status: 'processing' });
    const shipped = await orders.changeStatus(admin, o.id, { status: 'shipped', tracking_number: '1Z999' });
    expect(shipped).toMatchObject({ status: 'shipped', trackingNumber: '1Z999', version: 4 });
    expect(shipped.confirmedAt).toBeInstanceOf(Date);
    expect(shipped.shippedAt).toBeInstanceOf(Date);
    expect(shipped.deliveredAt).toBeNull();
    expect(shipped.history.map((h) => [h.fromStatus, h.toStatus, h.actorRole])).toEqual([
      [null, 'pending', 'user'],
      ['pending', 'confirmed', 'admin'],
      ['confirmed', 'processing', 'admin'],
      ['processing', 'shipped', 'admin'],
    ]);
    expect(shipped.history[1]!.reason).toBe('payment received');
  });

  test('a forbidden transition is refused with the current status and changes nothing', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    const err = await orders.changeStatus(admin, o.id, { status: 'delivered' }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidTransition);
    expect(err.extra).toEqual({ current_status: 'pending', requested_status: 'delivered' });
    const after = await orders.getOrder(admin, o.id);
    expect(after).toMatchObject({ status: 'pending', version: 1 });
    expect(after.history).toHaveLength(1);
  });

  test('five concurrent confirmations of one order: exactly one wins, the others get 409', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => orders.changeStatus(admin, o.id, { status: 'confirmed' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(InvalidTransition);
      expect(r.reason.status).toBe(409);
    }
    const final = await orders.getOrder(admin, o.id);
    expect(final).toMatchObject({ status: 'confirmed', version: 2 });
    expect(final.history.map((h) => h.toStatus)).toEqual(['pending', 'confirmed']);
  });

  test('a shipment racing a cancellation: one wins and the history tells one story', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    await orders.changeStatus(admin, o.id, { status: 'confirmed' });
    await orders.changeStatus(admin, o.id, { status: 'processing' });
    const [ship, cancel] = await Promise.allSettled([
      orders.changeStatus(admin, o.id, { status: 'shipped' }),
      orders.changeStatus(admin, o.id, { status: 'cancelled' }),
    ]);
    expect([ship.status, cancel.status].sort()).toEqual(['fulfilled', 'rejected']);
    const final = await orders.getOrder(admin, o.id);
    expect(final.history.at(-1)).toMatchObject({ fromStatus: 'processing', toStatus: final.status });
    expect(final.history).toHaveLength(4);
  });

  test('a stale version is refused (If-Match)', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    await orders.changeStatus(admin, o.id, { status: 'confirmed' }, { expectedVersion: 1 });
    await expect(orders.changeStatus(admin, o.id, { status: 'processing' }, { expectedVersion: 1 })).rejects.toBeInstanceOf(PreconditionFailed);
    await expect(orders.updateOrder(admin, o.id, { notes: 'x' }, { expectedVersion: 1 })).rejects.toBeInstanceOf(PreconditionFailed);
    await expect(orders.updateOrder(admin, o.id, { notes: 'gift wrap' }, { expectedVersion: 2 })).resolves.toMatchObject({ notes: 'gift wrap', version: 3 });
  });

  test('updates: payment status, tracking, notes and status together; shoppers may not', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    const u = await orders.updateOrder(admin, o.id, { status: 'confirmed', payment_status: 'paid', tracking_number: 'T-1' });
    expect(u).toMatchObject({ status: 'confirmed', paymentStatus: 'paid', trackingNumber: 'T-1' });
    await expect(orders.updateOrder(alice, o.id, { notes: 'x' })).rejects.toBeInstanceOf(Forbidden);
    await expect(orders.updateOrder(admin, 424242, { notes: 'x' })).rejects.toBeInstanceOf(NotFound);
  });

  test('a cancelled order is refunded only when it was paid', async () => {
    const unpaid = await orders.createOrder(alice, { shipping_address: address });
    await orders.cancelOrder(admin, unpaid.id);
    await expect(orders.changeStatus(admin, unpaid.id, { status: 'refunded' })).rejects.toBeInstanceOf(InvalidTransition);
    const paid = await orders.createOrder(alice, { shipping_address: address });
    await orders.updateOrder(admin, paid.id, { payment_status: 'paid' });
    await orders.cancelOrder(admin, paid.id);
    await expect(orders.changeStatus(admin, paid.id, { status: 'refunded' })).resolves.toMatchObject({ status: 'refunded' });
  });
});

describe('cancelling', () => {
  test('the owner cancels a pending or confirmed order; the row stays', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    const c = await orders.cancelOrder(alice, o.id);
    expect(c).toMatchObject({ status: 'cancelled' });
    expect(c.cancelledAt).toBeInstanceOf(Date);
    expect(c.history.at(-1)).toMatchObject({ fromStatus: 'pending', toStatus: 'cancelled', actorId: 1, reason: 'cancelled by customer' });
    expect(await count('orders')).toBe(1);
  });

  test('the owner cannot cancel once processing: 409 with the current status', async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    await orders.changeStatus(admin, o.id, { status: 'confirmed' });
    await orders.changeStatus(admin, o.id, { status: 'processing' });
    const err = await orders.cancelOrder(alice, o.id).catch((e) => e);
    expect(err).toBeInstanceOf(Conflict);
    expect(err.status).toBe(409);
    expect(err.extra).toEqual({ current_status: 'processing' });
    await expect(orders.cancelOrder(admin, o.id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  test("another shopper's cancel is not found and changes nothing", async () => {
    const o = await orders.createOrder(alice, { shipping_address: address });
    await expect(orders.cancelOrder(bob, o.id)).rejects.toBeInstanceOf(NotFound);
    expect((await orders.getOrder(alice, o.id)).status).toBe('pending');
  });
});

describe('statistics', () => {
  test('one query gives the same numbers as counting order by order', async () => {
    const plan: Array<['confirmed' | 'processing' | 'shipped' | 'delivered' | 'cancelled' | null, number]> = [
      [null, 1], ['confirmed', 2], ['delivered', 3], ['cancelled', 1], ['shipped', 1], ['delivered', 1],
    ];
    const path = { confirmed: ['confirmed'], processing: ['confirmed', 'processing'], shipped: ['confirmed', 'processing', 'shipped'], delivered: ['confirmed', 'processing', 'shipped', 'delivered'], cancelled: ['cancelled'] } as const;
    for (const [target, qty] of plan) {
      const o = await orders.createOrder(alice, { items: [{ product_id: 7, quantity: qty }], shipping_address: address });
      for (const s of target ? path[target] : []) await orders.changeStatus(admin, o.id, { status: s });
    }
    const all = await orders.adminListOrders(admin, { size: 100 });
    const expected = { pending: 0, confirmed: 0, processing: 0, shipped: 0, delivered: 0, cancelled: 0, refunded: 0 } as Record<string, number>;
    let revenue = 0;
    let revenueOrders = 0;
    for (const o of all.items) {
      expected[o.status]! += 1;
      if (['confirmed', 'processing', 'shipped', 'delivered'].includes(o.status)) {
        revenue += o.totalMinor;
        revenueOrders += 1;
      }
    }
    const s = await orders.stats(admin, {});
    expect(s.byStatus).toEqual(expected);
    expect(s.totalOrders).toBe(6);
    expect(s.revenueMinor).toBe(revenue);
    expect(s.averageOrderValueMinor).toBe(Math.round(revenue / revenueOrders));
    expect(s.ordersToday).toBe(6);
    const json = toStatsJson(s);
    expect(json).toMatchObject({ completed_orders: 2, delivered_orders: 2, pending_orders: 1, revenue: revenue / 100, total_revenue: revenue / 100 });
    const none = await orders.stats(admin, { from: new Date('2000-01-01'), to: new Date('2000-01-02') });
    expect(none.totalOrders).toBe(0);
    expect(none.averageOrderValueMinor).toBe(0);
    await expect(orders.stats(alice, {})).rejects.toBeInstanceOf(Forbidden);
  });
});

describe('statistics at scale: the daily roll-up', () => {
  test('gives the same numbers as a straight aggregate, for all time, whole days and times of day', async () => {
    let now = new Date('2026-03-30T22:00:00Z');
    const clocked = wireOrderService({ sequelize: tdb.sequelize, catalog, cart: cartOf({}), pricing, clock: () => now });
    const repo = createOrderRepository(tdb.sequelize);
    const days = ['2026-03-30T22:00:00Z', '2026-03-31T23:59:59Z', '2026-04-01T00:00:00Z', '2026-04-02T12:00:00Z'];
    const paths: Array<Array<'confirmed' | 'processing' | 'shipped' | 'delivered' | 'cancelled' | 'refunded'>> = [
      [], ['confirmed'], ['confirmed', 'processing', 'shipped', 'delivered'], ['cancelled'], ['confirmed', 'processing', 'shipped', 'delivered', 'refunded'],
    ];
    let i = 0;
    for (const day of days) {
      now = new Date(day);
      for (const path of paths) {
        const o = await clocked.createOrder(alice, { items: [{ product_id: 7, quantity: 1 + (i++ % 3) }], shipping_address: address });
        // transitions race in pairs: the roll-up follows whichever wins
        for (const to of path) await Promise.allSettled([clocked.changeStatus(admin, o.id, { status: to }), clocked.changeStatus(admin, o.id, { status: to })]);
      }
    }
    now = new Date('2026-04-02T15:00:00Z');
    const ctx = { todayStart: new Date('2026-04-02T00:00:00Z'), monthStart: new Date('2026-04-01T00:00:00Z') };
    const ranges = [
      {},
      { from: new Date('2026-03-31T00:00:00Z'), to: new Date('2026-04-02T00:00:00Z') },
      { from: new Date('2026-03-31T12:00:00Z'), to: new Date('2026-04-02T13:00:00Z') },
    ];
    for (const range of ranges) {
      const fast = await repo.stats({ ...range, ...ctx });
      const straight = await repo.statsFromOrders({ ...range, ...ctx });
      expect(fast).toEqual(straight);
    }
    const all = await repo.stats(ctx);
    expect(all.totalOrders).toBe(20);
    expect(all.byStatus).toMatchObject({ pending: 4, confirmed: 4, delivered: 4, cancelled: 4, refunded: 4 });
    expect(all.ordersToday).toBe(5);
    expect(all.ordersThisMonth).toBe(10);
    // the use case picks the roll-up for whole days
    expect(await clocked.stats(admin, {})).toEqual(await repo.statsFromOrders({ todayStart: ctx.todayStart, monthStart: ctx.monthStart }));
  });
});
