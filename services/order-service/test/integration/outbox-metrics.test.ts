// The outbox's metrics as the relay keeps them: events pending and the oldest one's age (what
// OrdersOutboxBacklog reads), deliveries by step and result; and the refused checkouts' reasons.
import { QueryTypes } from 'sequelize';
import { isDatabaseUnavailable } from '../../src/data/database.js';
import { createOutbox } from '../../src/data/outbox.js';
import { createUnitOfWork } from '../../src/data/unit-of-work.js';
import { Conflict, DependencyUnavailable, Forbidden, Unprocessable, ValidationFailed } from '../../src/domain/errors.js';
import { createServiceMetrics, CHECKOUT_REFUSAL_REASONS } from '../../src/http/metrics.js';
import { refusalReason } from '../../src/http/order-handlers.js';
import { createOutboxRelay } from '../../src/orders/outbox-relay.js';
import type { Cart } from '../../src/orders/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

const value = async (metrics: ReturnType<typeof createServiceMetrics>, name: string, labels: Record<string, string> = {}) => {
  const m = (await metrics.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return m?.value ?? 0;
};

test('pending events and the oldest age while the cart service fails, deliveries by step and result, 0 and 0 once delivered', async () => {
  const outbox = createOutbox(tdb.sequelize);
  await createUnitOfWork(tdb.sequelize).run(async (t) => {
    for (let i = 1; i <= 3; i++) await outbox.add({ type: 'order.created', orderId: i, userId: 1, payload: { order_id: i }, clearCart: true }, t);
  });
  // an hour old: the age is the oldest undelivered event's, from the database's clock
  await tdb.sequelize.query("UPDATE outbox_events SET created_at = now() - interval '1 hour' WHERE order_id = 1");
  let cartUp = false;
  const cart = { clear: async () => { if (!cartUp) throw new Error('cart down'); } } as unknown as Cart;
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const relay = createOutboxRelay({ outbox, publisher: null, cart, shopperToken: () => 't', metrics, statsIntervalMs: 0 });

  expect(await relay.runOnce()).toBe(3);
  expect(await value(metrics, 'orders_outbox_events_pending')).toBe(3);
  expect(await value(metrics, 'orders_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(3600);
  expect(await value(metrics, 'orders_outbox_oldest_pending_age_seconds')).toBeLessThan(3700);
  expect(await value(metrics, 'orders_outbox_deliveries_total', { step: 'publish', result: 'ok' })).toBe(3);
  expect(await value(metrics, 'orders_outbox_deliveries_total', { step: 'clear_cart', result: 'error' })).toBe(3);

  // the pass after: still pending (published, cart not cleared), now counted at the start of the pass
  await tdb.sequelize.query('UPDATE outbox_events SET next_attempt_at = now()');
  cartUp = true;
  expect(await relay.runOnce()).toBe(3);
  expect(await value(metrics, 'orders_outbox_events_pending')).toBe(3);
  expect(await value(metrics, 'orders_outbox_deliveries_total', { step: 'clear_cart', result: 'ok' })).toBe(3);
  expect(await value(metrics, 'orders_outbox_deliveries_total', { step: 'publish', result: 'ok' })).toBe(3); // not published twice

  expect(await relay.runOnce()).toBe(0);
  expect(await value(metrics, 'orders_outbox_events_pending')).toBe(0);
  expect(await value(metrics, 'orders_outbox_oldest_pending_age_seconds')).toBe(0);
  const [row] = await tdb.sequelize.query<{ n: string }>('SELECT count(*) AS n FROM outbox_events WHERE cart_cleared_at IS NULL', { type: QueryTypes.SELECT });
  expect(Number(row!.n)).toBe(0);
});

test('the backlog is counted at most every statsIntervalMs', async () => {
  const outbox = createOutbox(tdb.sequelize);
  let counted = 0;
  const counting = { ...outbox, pendingStats: async () => (counted++, outbox.pendingStats()) };
  const relay = createOutboxRelay({ outbox: counting, publisher: null, cart: { clear: async () => undefined } as unknown as Cart, shopperToken: () => 't', metrics: createServiceMetrics({ defaultMetrics: false }), statsIntervalMs: 60_000 });
  for (let i = 0; i < 5; i++) await relay.runOnce();
  expect(counted).toBe(1);
});

test("a refused checkout's reason is one of the bounded set, from the error's kind (never its text)", () => {
  const cases: Array<[unknown, string]> = [
    [new Conflict('Only 1 of product 7 (Mug) in stock, 2 requested', { product_id: 7, available: 1 }), 'stock'],
    [new Unprocessable('product-unavailable', 'Product 7 is not available'), 'product_unavailable'],
    [new Unprocessable('empty-cart', 'Your cart is empty'), 'empty_cart'],
    [new DependencyUnavailable('cart-service', 'down'), 'peer_unavailable'],
    [new DependencyUnavailable('user-service', 'down'), 'peer_unavailable'],
    [new DependencyUnavailable('postgres', 'down'), 'dependency_unavailable'],
    [new DependencyUnavailable('stock-lock', 'busy'), 'dependency_unavailable'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { name: 'SequelizeConnectionRefusedError' }), 'dependency_unavailable'],
    [Object.assign(new Error('server login has been failing'), { code: '08P01' }), 'dependency_unavailable'],
    [new Forbidden('This account is blocked'), 'blocked'],
    [new ValidationFailed('A shipping address is required'), 'invalid'],
    [new Conflict('A request with this Idempotency-Key is still being processed'), 'other'],
    [new Error('boom'), 'other'],
  ];
  for (const [err, reason] of cases) expect([String(err), refusalReason(err, isDatabaseUnavailable)]).toEqual([String(err), reason]);
  for (const [, reason] of cases) expect(CHECKOUT_REFUSAL_REASONS).toContain(reason);
});
