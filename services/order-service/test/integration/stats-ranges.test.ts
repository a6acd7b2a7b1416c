// The statistics for random ranges (dates and instants) against the straight aggregate over the
// orders: whole days come from the roll-up, partial days from the orders. Seeded (STATS_SEED), so
// a failure reproduces.
import fc from 'fast-check';
import { allowedTransitions, type OrderStatus } from '../../src/domain/order-lifecycle.js';
import { createOrderRepository } from '../../src/data/order-repository.js';
import { wireOrderService } from '../../src/wiring/order-service.js';
import type { Actor, Cart, Catalog } from '../../src/orders/ports.js';
import { toStatsJson } from '../../src/http/order-views.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const SEED = Number(process.env.STATS_SEED ?? 20261201);
const DAY = 86_400_000;
const FIRST_DAY = Date.parse('2026-03-28T00:00:00Z');
const DAYS = 7; // 2026-03-28 … 2026-04-03: across a month's start
const NOW = new Date('2026-04-02T15:00:00Z');
const ctx = { todayStart: new Date('2026-04-02T00:00:00Z'), monthStart: new Date('2026-04-01T00:00:00Z') };

const pricing = { taxRateBasisPoints: 1000, shippingFlatMinor: 1000, freeShippingThresholdMinor: 10000 };
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const alice: Actor = { userId: 1, email: 'alice@example.com', role: 'user' };
const admin: Actor = { userId: 99, email: 'admin@example.com', role: 'admin' };
const catalog: Catalog = {
  getProduct: async (id) => ({ id, sku: `SKU-${id}`, title: `Product ${id}`, priceMinor: 1000 + id * 37, currency: 'USD', image: null, stock: 1_000_000, isActive: true }),
  setStock: async () => {},
};
const cart: Cart = { getLines: async () => [], clear: async () => {} };

let tdb: TestDatabase;
let now = NOW;
const createdAt: number[] = [];

// an order's creation instant: anywhere in the days, or exactly on a midnight, or just before one
const instantArb = fc.oneof(
  fc.integer({ min: FIRST_DAY, max: FIRST_DAY + DAYS * DAY - 1 }),
  fc.integer({ min: 0, max: DAYS }).map((d) => FIRST_DAY + d * DAY),
  fc.integer({ min: 1, max: DAYS }).map((d) => FIRST_DAY + d * DAY - 1),
);
const orderArb = fc.record({ at: instantArb, product: fc.integer({ min: 1, max: 9 }), quantity: fc.integer({ min: 1, max: 5 }), walk: fc.array(fc.nat(), { maxLength: 5 }) });

beforeAll(async () => {
  tdb = await createTestDatabase();
  const service = wireOrderService({ sequelize: tdb.sequelize, catalog, cart, pricing, clock: () => now });
  const [orders] = fc.sample(fc.array(orderArb, { minLength: 120, maxLength: 120 }), { seed: SEED, numRuns: 1 });
  for (const o of orders!) {
    now = new Date(o.at);
    const order = await service.createOrder(alice, { items: [{ product_id: o.product, quantity: o.quantity }], shipping_address: address });
    createdAt.push(o.at);
    // a random walk through the lifecycle: the roll-up moves the order between statuses on every change
    let status: OrderStatus = order.status;
    for (const pick of o.walk) {
      const next = allowedTransitions(status, 'pending');
      if (next.length === 0) break;
      status = next[pick % next.length]!;
      await service.changeStatus(admin, order.id, { status });
    }
  }
  now = NOW;
}, 120_000);
afterAll(async () => {
  await tdb?.drop();
});

// a bound: none, a midnight (a date), an order's exact instant or 1 ms beside it, or any instant
const boundArb = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -1, max: DAYS + 1 }).map((d) => new Date(FIRST_DAY + d * DAY)),
  fc.tuple(fc.nat(), fc.integer({ min: -1, max: 1 })).map(([i, delta]) => new Date(createdAt[i % createdAt.length]! + delta)),
  fc.integer({ min: FIRST_DAY - DAY, max: FIRST_DAY + (DAYS + 1) * DAY }).map((t) => new Date(t)),
);
const rangeOf = (from: Date | undefined, to: Date | undefined) => ({ ...(from ? { from } : {}), ...(to ? { to } : {}) });

describe('statistics for any range', () => {
  test('the roll-up with partial edge days gives the straight aggregate for random ranges', async () => {
    const repo = createOrderRepository(tdb.sequelize);
    const service = wireOrderService({ sequelize: tdb.sequelize, catalog, cart, pricing, clock: () => NOW });
    await fc.assert(
      fc.asyncProperty(boundArb, boundArb, async (from, to) => {
        const range = rangeOf(from, to);
        const straight = await repo.statsFromOrders({ ...range, ...ctx });
        expect(await repo.stats({ ...range, ...ctx })).toEqual(straight);
        expect(toStatsJson(await service.stats(admin, range))).toEqual(toStatsJson(straight));
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  test('the data covers what the ranges test: several statuses a day, orders on midnights, empty and reversed ranges', async () => {
    const repo = createOrderRepository(tdb.sequelize);
    const all = await repo.statsFromOrders(ctx);
    expect(all.totalOrders).toBe(120);
    expect(Object.values(all.byStatus).filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
    expect(createdAt.some((t) => t % DAY === 0)).toBe(true);
    const some = createdAt[0]!;
    const reversed = await repo.stats({ from: new Date(some + 1), to: new Date(some - DAY), ...ctx });
    expect(reversed.totalOrders).toBe(0);
    const empty = await repo.stats({ from: new Date(some), to: new Date(some), ...ctx });
    expect(empty.totalOrders).toBe(0);
    const one = await repo.stats({ from: new Date(some), to: new Date(some + 1), ...ctx });
    expect(one.totalOrders).toBeGreaterThanOrEqual(1);
    // the API's outermost bounds: the day after 9999-12-31 is no day of the roll-up
    const latest = new Date('9999-12-31T23:59:59.999Z');
    for (const range of [{ from: new Date('9999-12-31T12:00:00Z') }, { to: latest }, { from: new Date('0001-01-01T00:00:00.001Z'), to: latest }]) {
      expect(await repo.stats({ ...range, ...ctx })).toEqual(await repo.statsFromOrders({ ...range, ...ctx }));
    }
  });
});
