// Checkouts at once that share products (group commits without stock, three transactions at a
// time, each writing the day's, the hour's and several products' roll-up rows) all commit, and the
// hourly and product roll-ups still equal the straight aggregates.
import { QueryTypes } from 'sequelize';
import { ORDER_STATUSES } from '../../src/domain/order-lifecycle.js';
import { wireOrderService } from '../../src/wiring/order-service.js';
import type { Actor, Cart, Catalog } from '../../src/orders/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const pricing = { taxRateBasisPoints: 1000, shippingFlatMinor: 1000, freeShippingThresholdMinor: 10000 };
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const shopper: Actor = { userId: 5, email: 'five@example.com', role: 'user' };
// a little latency, so checkouts pile up and share transactions
const catalog: Catalog = {
  getProduct: async (id) => {
    await new Promise((r) => setTimeout(r, 1 + (id % 3)));
    return { id, sku: `SKU-${id}`, title: `Product ${id}`, priceMinor: 500 + id, currency: 'USD', image: null, stock: null, isActive: true };
  },
  setStock: async () => {},
};
const cart: Cart = { getLines: async () => [], clear: async () => {} };

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase({ poolMax: 6 });
});
afterAll(async () => {
  await tdb?.drop();
});

test('120 checkouts at once over overlapping products all commit, and the roll-ups add up', async () => {
  const service = wireOrderService({ sequelize: tdb.sequelize, catalog, cart, pricing, stockManagement: false });
  const orders = Array.from({ length: 120 }, (_, i) => {
    const products = [1 + (i % 5), 1 + ((i * 7 + 3) % 5), 6 - (i % 5)];
    return service.createOrder(shopper, { items: [...new Set(products)].map((p, j) => ({ product_id: p, quantity: 1 + j })), shipping_address: address });
  });
  const results = await Promise.allSettled(orders);
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

  const q = <T extends object>(sql: string) => tdb.sequelize.query<T>(sql, { type: QueryTypes.SELECT });
  const straight = await q('SELECT status, count(*)::int AS n, sum(total_cents)::bigint AS c FROM orders GROUP BY 1 ORDER BY 1');
  for (const table of ['order_series_hourly', 'order_series_quarterly', 'order_series_daily']) {
    // the statuses as columns, read back as a row per status
    expect(await q(`SELECT u.status, u.n, u.c FROM (SELECT ${ORDER_STATUSES.map((s) => `sum(${s}_orders)::int AS ${s}_n, sum(${s}_cents)::bigint AS ${s}_c`).join(', ')} FROM ${table}) t
                      CROSS JOIN LATERAL (VALUES ${ORDER_STATUSES.map((s) => `('${s}', t.${s}_n, t.${s}_c)`).join(', ')}) AS u(status, n, c)
                     WHERE u.n <> 0 ORDER BY 1`)).toEqual(straight);
  }
  expect(await q('SELECT product_id, sum(orders)::int AS n, sum(units)::int AS u, sum(revenue_cents)::bigint AS c FROM order_product_stats_daily GROUP BY 1 ORDER BY 1')).toEqual(
    await q('SELECT product_id, count(DISTINCT order_id)::int AS n, sum(quantity)::int AS u, sum(total_price_cents)::bigint AS c FROM order_items GROUP BY 1 ORDER BY 1'),
  );
});
