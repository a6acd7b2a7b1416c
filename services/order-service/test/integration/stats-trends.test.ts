// The trends (series) and the best products against straight aggregates over orders and
// order_items, on random seeded orders (STATS_SEED) that walk through status changes: series in
// several time zones (half-hour and 45-minute offsets, clock changes in the days seeded) and
// intervals, products over random ranges of days.
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { allowedTransitions, ORDER_STATUSES, type OrderStatus } from '../../src/domain/order-lifecycle.js';
import { createStatsStore } from '../../src/data/stats-store.js';
import { wireOrderService } from '../../src/wiring/order-service.js';
import type { Actor, Cart, Catalog } from '../../src/orders/ports.js';
import { toSeriesJson, toTopProductsJson } from '../../src/http/stats-views.js';
import { createStatsSeries, type SeriesPoint } from '../../src/orders/stats-series.js';
import { createTopProducts } from '../../src/orders/top-products.js';
import { toMajorNumber } from '../../src/domain/money.js';
import * as migration0007 from '../../src/data/migrations/0007-trends-and-top-products.js';
import * as migration0011 from '../../src/data/migrations/0011-series-by-quarter.js';
import * as migration0013 from '../../src/data/migrations/0013-series-by-day.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const SEED = Number(process.env.STATS_SEED ?? 20261201);
const DAY = 86_400_000;
const HOUR = 3_600_000;
// 2026-03-26 … 2026-04-07: Europe's clocks go forward on 03-29, Santiago's and Lord Howe's go back on 04-05
const FIRST_DAY = Date.parse('2026-03-26T00:00:00Z');
const DAYS = 13;
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Kiritimati'];

const pricing = { taxRateBasisPoints: 1000, shippingFlatMinor: 1000, freeShippingThresholdMinor: 10000 };
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const alice: Actor = { userId: 1, email: 'alice@example.com', role: 'user' };
const admin: Actor = { userId: 99, email: 'admin@example.com', role: 'admin' };
let now = new Date(FIRST_DAY);
// the name changes over time, so the snapshot an item keeps matters
const catalog: Catalog = {
  getProduct: async (id) => ({ id, sku: `SKU-${id}`, title: `Product ${id} (${now.getUTCDate() % 3})`, priceMinor: 1000 + id * 37, currency: 'USD', image: null, stock: 1_000_000, isActive: true }),
  setStock: async () => {},
};
const cart: Cart = { getLines: async () => [], clear: async () => {} };

let tdb: TestDatabase;

// a creation instant: anywhere, on an hour or a half or quarter hour (where zones' days begin), or 1 ms before one
const instantArb = fc.oneof(
  fc.integer({ min: FIRST_DAY, max: FIRST_DAY + DAYS * DAY - 1 }),
  fc.tuple(fc.integer({ min: 0, max: DAYS * 96 - 1 }), fc.constantFrom(0, -1)).map(([q, d]) => Math.max(FIRST_DAY, FIRST_DAY + q * 15 * 60_000 + d)),
);
const lineArb = fc.record({ product: fc.integer({ min: 1, max: 7 }), quantity: fc.integer({ min: 1, max: 4 }) });
const orderArb = fc.record({ at: instantArb, lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }), walk: fc.array(fc.nat(), { maxLength: 5 }) });

beforeAll(async () => {
  tdb = await createTestDatabase();
  const service = wireOrderService({ sequelize: tdb.sequelize, catalog, cart, pricing, clock: () => now });
  const [orders] = fc.sample(fc.array(orderArb, { minLength: 250, maxLength: 250 }), { seed: SEED, numRuns: 1 });
  for (const o of orders!) {
    now = new Date(o.at);
    const order = await service.createOrder(alice, { items: o.lines.map((l) => ({ product_id: l.product, quantity: l.quantity })), shipping_address: address });
    // a random walk through the lifecycle: the roll-ups move the order on every change
    let status: OrderStatus = order.status;
    for (const pick of o.walk) {
      const next = allowedTransitions(status, 'pending');
      if (next.length === 0) break;
      status = next[pick % next.length]!;
      await service.changeStatus(admin, order.id, { status });
    }
  }
}, 180_000);
afterAll(async () => {
  await tdb?.drop();
});

/** A use case as the HTTP layer answers it: its record rendered by the view. */
const rendered = <Q, R, J>(useCase: (actor: typeof admin, q: Q) => Promise<R>, view: (r: R) => J) => async (actor: typeof admin, q: Q) => view(await useCase(actor, q));

const dateText = (t: number) => new Date(t).toISOString().slice(0, 10);
const dateArb = fc.integer({ min: -2, max: DAYS + 1 }).map((d) => dateText(FIRST_DAY + d * DAY));

/** The series straight from the orders: PostgreSQL's own zone rules put each order on its local date. */
async function straightSeries(q: { from: string; to: string; interval: 'day' | 'week' | 'month'; tz: string }) {
  const rows = await tdb.sequelize.query<{ start: string; status: OrderStatus; orders: string; cents: string }>(
    `SELECT to_char(greatest($from::date, date_trunc($interval, created_at AT TIME ZONE $tz)::date), 'YYYY-MM-DD') AS start,
            status, count(*) AS orders, sum(total_cents) AS cents
       FROM orders WHERE (created_at AT TIME ZONE $tz)::date BETWEEN $from::date AND $to::date
      GROUP BY 1, 2`,
    { bind: q, type: QueryTypes.SELECT },
  );
  const starts = await tdb.sequelize.query<{ start: string; at: Date }>(
    `SELECT to_char(s, 'YYYY-MM-DD') AS start, s::timestamp AT TIME ZONE $tz AS at
       FROM (SELECT DISTINCT greatest($from::date, date_trunc($interval, d)::date) AS s
               FROM generate_series($from::date, $to::date, interval '1 day') d
             UNION SELECT $to::date + 1) x ORDER BY s`,
    { bind: q, type: QueryTypes.SELECT },
  );
  const points: SeriesPoint[] = starts.slice(0, -1).map((s, i) => ({
    start: s.start,
    from: new Date(s.at),
    to: new Date(starts[i + 1]!.at),
    counts: new Map(rows.filter((r) => r.start === s.start).map((r) => [r.status, { orders: Number(r.orders), cents: Number(r.cents) }])),
  }));
  return toSeriesJson({ ...q, points });
}

/** The best products straight from the orders and their items, by the same definition. */
async function straightProducts(q: { from: string; to: string; limit: number }) {
  const rows = await tdb.sequelize.query<{ product_id: string; product_name: string; units: string; cents: string; orders: string }>(
    `WITH ranged AS (
       SELECT o.id AS order_id, o.status, (o.created_at AT TIME ZONE 'UTC')::date AS day, i.id AS item_id, i.product_id, i.product_name, i.quantity, i.total_price_cents
         FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE (o.created_at AT TIME ZONE 'UTC')::date BETWEEN $from::date AND $to::date),
     sold AS (
       SELECT product_id, count(DISTINCT order_id) AS orders, sum(quantity) AS units, sum(total_price_cents) AS cents
         FROM ranged WHERE status NOT IN ('cancelled', 'refunded') GROUP BY product_id),
     named AS (
       SELECT DISTINCT ON (product_id) product_id, product_name FROM ranged ORDER BY product_id, day DESC, item_id DESC)
     SELECT s.product_id, n.product_name, s.units, s.cents, s.orders FROM sold s JOIN named n USING (product_id)
      ORDER BY s.cents DESC, s.units DESC, s.product_id LIMIT $limit`,
    { bind: q, type: QueryTypes.SELECT },
  );
  return {
    ...q,
    currency: 'USD',
    products: rows.map((r) => ({ product_id: Number(r.product_id), product_name: r.product_name, units: Number(r.units), revenue: toMajorNumber(Number(r.cents)), orders: Number(r.orders) })),
  };
}

describe('trends', () => {
  test('every point equals the straight aggregate, in every zone and interval, for random ranges', async () => {
    const series = rendered(createStatsSeries(createStatsStore(tdb.sequelize)), toSeriesJson);
    const queryArb = fc
      .record({ a: dateArb, b: dateArb, interval: fc.constantFrom('day' as const, 'week' as const, 'month' as const), tz: fc.constantFrom(...ZONES) })
      .map(({ a, b, ...rest }) => ({ from: a < b ? a : b, to: a < b ? b : a, ...rest }));
    await fc.assert(
      fc.asyncProperty(queryArb, async (q) => {
        expect(await series(admin, q)).toEqual(await straightSeries(q));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  test('each zone over the whole seeded span, by day: the points add up to every order', async () => {
    const series = rendered(createStatsSeries(createStatsStore(tdb.sequelize)), toSeriesJson);
    const q = { from: dateText(FIRST_DAY - DAY), to: dateText(FIRST_DAY + DAYS * DAY), interval: 'day' as const };
    for (const tz of ZONES) {
      const got = await series(admin, { ...q, tz });
      expect(got).toEqual(await straightSeries({ ...q, tz }));
      expect(got.points.reduce((n, p) => n + p.total_orders, 0)).toBe(250);
    }
  });

  test('periods between any instants (off the quarters, to the millisecond) equal the straight aggregate', async () => {
    const store = createStatsStore(tdb.sequelize);
    // ascending bounds anywhere in the span, some on a quarter or 1 ms off one, so every level's correction is used
    const boundsArb = fc.uniqueArray(instantArb, { minLength: 2, maxLength: 12 }).map((b) => b.sort((x, y) => x - y));
    await fc.assert(
      fc.asyncProperty(boundsArb, async (bounds) => {
        const rows = await tdb.sequelize.query<{ k: number; status: OrderStatus; orders: string; cents: string }>(
          `SELECT width_bucket(extract(epoch FROM created_at) * 1000, $bounds::float8[]) - 1 AS k, status, count(*) AS orders, sum(total_cents) AS cents
             FROM orders WHERE created_at >= to_timestamp($first / 1000.0) AND created_at < to_timestamp($last / 1000.0) GROUP BY 1, 2`,
          { bind: { bounds, first: bounds[0], last: bounds[bounds.length - 1] }, type: QueryTypes.SELECT },
        );
        const straight = bounds.slice(1).map((_, k) => new Map(rows.filter((r) => Number(r.k) === k).map((r) => [r.status, { orders: Number(r.orders), cents: Number(r.cents) }])));
        expect(await store.periods(bounds)).toEqual(straight);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  test('the seeded data covers what the series tests: every status, orders on the hour and the half hour, clock changes', async () => {
    const rows = await tdb.sequelize.query<{ status: OrderStatus; n: string; on_half: string; on_hour: string }>(
      `SELECT status, count(*) AS n,
              count(*) FILTER (WHERE extract(epoch FROM created_at)::bigint % 1800 = 0 AND extract(epoch FROM created_at)::bigint % 3600 <> 0) AS on_half,
              count(*) FILTER (WHERE extract(epoch FROM created_at)::bigint % 3600 = 0) AS on_hour
         FROM orders GROUP BY status`,
      { type: QueryTypes.SELECT },
    );
    expect(rows.map((r) => r.status).sort()).toEqual([...ORDER_STATUSES].sort());
    expect(rows.reduce((n, r) => n + Number(r.on_half), 0)).toBeGreaterThan(0);
    expect(rows.reduce((n, r) => n + Number(r.on_hour), 0)).toBeGreaterThan(0);
    // Berlin's 2026-03-29 has 23 hours, Santiago's 2026-04-05 has 25
    const series = rendered(createStatsSeries(createStatsStore(tdb.sequelize)), toSeriesJson);
    const berlin = await series(admin, { from: '2026-03-29', to: '2026-03-29', tz: 'Europe/Berlin' });
    expect(Date.parse(berlin.points[0]!.to) - Date.parse(berlin.points[0]!.from)).toBe(23 * HOUR);
    const santiago = await series(admin, { from: '2026-04-04', to: '2026-04-04', tz: 'America/Santiago' });
    expect(Date.parse(santiago.points[0]!.to) - Date.parse(santiago.points[0]!.from)).toBe(25 * HOUR);
  });
});

describe('the roll-ups', () => {
  test('migrations 0007, 0011 and 0013 build from existing orders what the writes kept (quarter, hour, day and product rows)', async () => {
    const snapshot = async () => ({
      hourly: await tdb.sequelize.query('SELECT * FROM order_series_hourly ORDER BY 1', { type: QueryTypes.SELECT }),
      quarterly: await tdb.sequelize.query('SELECT * FROM order_series_quarterly ORDER BY 1', { type: QueryTypes.SELECT }),
      daily: await tdb.sequelize.query('SELECT * FROM order_series_daily ORDER BY 1', { type: QueryTypes.SELECT }),
      products: await tdb.sequelize.query('SELECT * FROM order_product_stats_daily ORDER BY day, product_id', { type: QueryTypes.SELECT }),
    });
    const kept = await snapshot();
    expect(kept.hourly.length).toBeGreaterThan(100);
    expect(kept.quarterly.length).toBeGreaterThan(kept.hourly.length);
    expect(kept.daily.length).toBeGreaterThan(10);
    const context = { query: async (sql: string) => void (await tdb.sequelize.query(sql)) };
    await migration0013.down({ context, name: '0013' } as never);
    await migration0011.down({ context, name: '0011' } as never);
    await migration0007.down({ context, name: '0007' } as never);
    await migration0007.up({ context, name: '0007' } as never);
    await migration0011.up({ context, name: '0011' } as never);
    await migration0013.up({ context, name: '0013' } as never);
    expect(await snapshot()).toEqual(kept);
  });
});

describe("the items' copies of their order's keys (the product search's indexes)", () => {
  test("every item carries its order's created_at and total after checkouts and status changes", async () => {
    const [row] = await tdb.sequelize.query<{ items: string; differ: string }>(
      `SELECT count(*) AS items,
              count(*) FILTER (WHERE i.order_created_at IS DISTINCT FROM o.created_at OR i.order_total_cents IS DISTINCT FROM o.total_cents) AS differ
         FROM order_items i JOIN orders o ON o.id = i.order_id`,
      { type: QueryTypes.SELECT },
    );
    expect(Number(row!.items)).toBeGreaterThan(250);
    expect(Number(row!.differ)).toBe(0);
  });
});

describe('top products', () => {
  test('the product roll-up equals the straight aggregate for random ranges and limits', async () => {
    const top = rendered(createTopProducts(createStatsStore(tdb.sequelize)), toTopProductsJson);
    const queryArb = fc
      .record({ a: dateArb, b: dateArb, limit: fc.integer({ min: 1, max: 8 }) })
      .map(({ a, b, limit }) => ({ from: a < b ? a : b, to: a < b ? b : a, limit }));
    await fc.assert(
      fc.asyncProperty(queryArb, async (q) => {
        expect(await top(admin, q)).toEqual(await straightProducts(q));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  test('over the whole span every product sold is listed, and cancelled and refunded orders count for nothing', async () => {
    const top = rendered(createTopProducts(createStatsStore(tdb.sequelize)), toTopProductsJson);
    const q = { from: dateText(FIRST_DAY), to: dateText(FIRST_DAY + (DAYS - 1) * DAY), limit: 100 };
    const got = await top(admin, q);
    expect(got).toEqual(await straightProducts(q));
    expect(got.products.length).toBe(7);
    const [unsold] = await tdb.sequelize.query<{ n: string }>(
      "SELECT count(*) AS n FROM orders WHERE status IN ('cancelled', 'refunded')",
      { type: QueryTypes.SELECT },
    );
    expect(Number(unsold!.n)).toBeGreaterThan(0);
  });

  test('only admins may read either', async () => {
    await expect(createTopProducts(createStatsStore(tdb.sequelize))(alice, { from: '2026-03-26', to: '2026-03-27' })).rejects.toMatchObject({ status: 403 });
    await expect(createStatsSeries(createStatsStore(tdb.sequelize))(alice, { from: '2026-03-26', to: '2026-03-27' })).rejects.toMatchObject({ status: 403 });
  });
});
