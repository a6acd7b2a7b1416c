// A batch of checkouts (group commit, or one stock critical section) is written in the same few
// statements whatever its size, and each order comes out as one written alone would: its items in
// order, its history, its event, its recorded response, and the roll-ups equal to the orders.
import { QueryTypes } from 'sequelize';
import type { Database } from '../../src/data/database.js';
import { createOrderPersistence } from '../../src/data/order-persistence.js';
import { toOrderJson } from '../../src/http/order-views.js';
import { insertOrders, type OrderToWrite } from '../../src/orders/checkout-writes.js';
import { createOrderCore } from '../../src/orders/order-core.js';
import type { Actor, Cart, Catalog } from '../../src/orders/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const catalog: Catalog = { getProduct: async () => null, setStock: async () => {} };
const cart: Cart = { getLines: async () => [], clear: async () => {} };
const pricing = { taxRateBasisPoints: 0, shippingFlatMinor: 0, freeShippingThresholdMinor: 0 };
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => tdb.drop());

/** the database, counting the statements sent through it */
function counting(db: Database): { db: Database; statements: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'query') return (...args: unknown[]) => (n++, (target.query as (...a: unknown[]) => unknown).apply(target, args));
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db: proxy, statements: () => n };
}

function orderFor(actor: Actor, i: number): OrderToWrite['order'] {
  const items = [1, 2, 3].slice(0, 1 + (i % 3)).map((p) => ({ productId: 10 * p + (i % 2), sku: `SKU-${p}`, productName: `Product ${p}`, productImage: null, quantity: p, unitPriceMinor: 100 * p + i, totalPriceMinor: p * (100 * p + i) }));
  const subtotal = items.reduce((s, x) => s + x.totalPriceMinor, 0);
  return { userId: actor.userId, customerEmail: actor.email, customerPhone: null, currency: 'USD', subtotalMinor: subtotal, taxMinor: 0, shippingMinor: 0, discountMinor: 0, totalMinor: subtotal, shipping: address, billing: null, notes: `order ${i}`, items };
}

async function writeBatch(size: number, withKeys: boolean) {
  const { db, statements } = counting(tdb.sequelize);
  const core = createOrderCore({ persistence: createOrderPersistence(db), respond: toOrderJson, catalog, cart, pricing });
  const entries: OrderToWrite[] = [];
  for (let i = 0; i < size; i++) {
    const actor: Actor = { userId: 100 + i, email: `u${i}@example.com`, role: 'user' };
    const ctx: OrderToWrite['ctx'] = {};
    if (withKeys && i % 2 === 0) {
      const begun = await core.idempotency.begin(actor.userId, `key-${size}-${i}`, 'fp');
      if (begun.kind !== 'new') throw new Error('key not new');
      ctx.claim = { userId: actor.userId, key: `key-${size}-${i}`, token: begun.token };
    }
    entries.push({ actor, order: orderFor(actor, i), ctx, fromCart: i % 3 === 0 });
  }
  const before = statements();
  const records = await core.uow.run((tx) => insertOrders(core, entries, tx));
  return { entries, records, statements: statements() - before };
}

test('one order and 24 orders take the same three statements (orders with all they carry, events, responses)', async () => {
  const one = await writeBatch(1, true);
  const many = await writeBatch(24, true);
  expect(one.statements).toBe(3);
  expect(many.statements).toBe(3);
  expect(many.records).toHaveLength(24);
  expect(new Set(many.records.map((r) => r.id)).size).toBe(24);
});

test('each order of a batch comes back and is stored as written, with its items in order, history, event and response', async () => {
  const { entries, records } = await writeBatch(12, true);
  for (const [i, record] of records.entries()) {
    const { order, actor, ctx, fromCart } = entries[i]!;
    expect(record).toMatchObject({ userId: actor.userId, totalMinor: order.totalMinor, notes: order.notes, status: 'pending' });
    expect(record.items.map((x) => [x.productId, x.quantity, x.totalPriceMinor])).toEqual(order.items.map((x) => [x.productId, x.quantity, x.totalPriceMinor]));
    expect(record.history.map((h) => [h.fromStatus, h.toStatus, h.reason])).toEqual([[null, 'pending', 'created']]);
    const [event] = await tdb.sequelize.query<{ type: string; user_id: string; cart_cleared_at: Date | null; number: string }>(
      "SELECT type, user_id, cart_cleared_at, payload->>'order_number' AS number FROM outbox_events WHERE order_id = $id",
      { bind: { id: record.id }, type: QueryTypes.SELECT },
    );
    expect(event).toMatchObject({ type: 'order.created', user_id: String(actor.userId), number: record.orderNumber });
    expect(event!.cart_cleared_at === null).toBe(fromCart); // a cart to clear only when the order came from it
    const keys = await tdb.sequelize.query<{ state: string; order_id: string; number: string }>(
      "SELECT state, order_id, response_body->>'order_number' AS number FROM idempotency_keys WHERE user_id = $user",
      { bind: { user: actor.userId }, type: QueryTypes.SELECT },
    );
    if (ctx.claim) expect(keys).toContainEqual({ state: 'done', order_id: String(record.id), number: record.orderNumber });
  }
  // events in the batch's order
  const ids = await tdb.sequelize.query<{ order_id: string }>(`SELECT order_id FROM outbox_events WHERE order_id = ANY($ids) ORDER BY id`, { bind: { ids: records.map((r) => r.id) }, type: QueryTypes.SELECT });
  expect(ids.map((r) => Number(r.order_id))).toEqual(records.map((r) => r.id));
});

test('after batches, the daily, quarter-hour, hourly, series-daily and product roll-ups equal the straight aggregate over the orders', async () => {
  await writeBatch(17, false);
  const q = (sql: string) => tdb.sequelize.query<Record<string, string>>(sql, { type: QueryTypes.SELECT });
  expect(await q('SELECT day::text, status, orders::text, total_cents::text FROM order_stats_daily WHERE orders > 0 ORDER BY 1, 2')).toEqual(
    await q(`SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day, status, count(*)::text AS orders, sum(total_cents)::text AS total_cents FROM orders GROUP BY 1, 2 ORDER BY 1, 2`),
  );
  // every order of these batches is pending: the series roll-ups' pending columns hold them all
  expect(await q('SELECT hour AS at, pending_orders::text AS orders, pending_cents::text AS cents FROM order_series_hourly ORDER BY 1')).toEqual(
    await q(`SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS at, count(*)::text AS orders, sum(total_cents)::text AS cents FROM orders GROUP BY 1 ORDER BY 1`),
  );
  expect(await q('SELECT quarter AS at, pending_orders::text AS orders, pending_cents::text AS cents FROM order_series_quarterly ORDER BY 1')).toEqual(
    await q(`SELECT date_bin('15 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS at, count(*)::text AS orders, sum(total_cents)::text AS cents FROM orders GROUP BY 1 ORDER BY 1`),
  );
  expect(await q('SELECT day::text AS at, pending_orders::text AS orders, pending_cents::text AS cents FROM order_series_daily ORDER BY 1')).toEqual(
    await q(`SELECT (created_at AT TIME ZONE 'UTC')::date::text AS at, count(*)::text AS orders, sum(total_cents)::text AS cents FROM orders GROUP BY 1 ORDER BY 1`),
  );
  expect(await q('SELECT day::text, product_id::text, orders::text, units::text, revenue_cents::text FROM order_product_stats_daily ORDER BY 1, 2')).toEqual(
    await q(`SELECT (o.created_at AT TIME ZONE 'UTC')::date::text AS day, i.product_id::text, count(DISTINCT o.id)::text AS orders, sum(i.quantity)::text AS units, sum(i.total_price_cents)::text AS revenue_cents
               FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY 1, 2 ORDER BY 1, 2`),
  );
});
