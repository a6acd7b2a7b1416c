// Checkout safety through a transaction pooler (issue 12), directly and through PgBouncer: two
// service processes on one database, 50 simultaneous one-unit orders for a product with stock 10,
// several rounds. Every round exactly 10 orders (201) and 40 refusals (409 out of stock), the
// product service's stock exactly 0, the stock reservations one unbroken chain 10 → 0, and no
// advisory lock left in pg_locks afterwards (a session lock through a transaction pooler stays
// behind on whichever server session took it), and no crash repair where nothing crashed.

import { jest } from '@jest/globals';
import { startProductStandIn, type ProductStandIn, type StandInProduct } from '../support/stand-ins/index.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, type Answer } from './support/client.js';
import { spawnService, until } from './support/harness.js';
import { tally } from './support/tally.js';
import { ROUTES, pooledSuite, stopService, type StackDatabase } from './support/pooled-stack.js';

jest.setTimeout(120_000);

const ROUNDS = 3;
const ORDERS = 50;
const STOCK = 10;
const PRODUCT: StandInProduct = { _id: 21, sku: 'P-21', title: 'Pooled kettle', price: 30, currency: 'USD', image: '/i/21.jpg', stock: STOCK, isActive: true };

const { transcript, tokens, stack } = pooledSuite();

describe.each(ROUTES)('%s', (route) => {
  let db: StackDatabase;
  let product: ProductStandIn;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await stack().createDatabase();
    product = await startProductStandIn({ catalogue: [PRODUCT] });
    const env = {
      DATABASE_URL: db.urls[route],
      PRODUCT_SERVICE_URL: product.url,
      ...stack().tlsEnv(),
      MIGRATE_ON_START: 'true',
      OUTBOX_INTERVAL_MS: '500',
    };
    // side by side to save a start-up; the first one migrates, the second finds the tables when the test begins
    services.push(
      ...(await Promise.all([
        spawnService(env, transcript, `${route} service #1`),
        spawnService({ ...env, MIGRATE_ON_START: 'false' }, transcript, `${route} service #2`),
      ])),
    );
  });

  afterAll(async () => {
    const ends = await Promise.all(services.map((s) => stopService(s)));
    if (ends.includes('killed')) console.log(`pooler checkout (${route}): a service did not exit within 5 s of SIGTERM (${ends.join(', ')})`);
    await product?.close();
    await db?.drop();
  });

  const repairs = () => services.reduce((n, s) => n + (s.output().match(/stock repaired after an interrupted checkout/g)?.length ?? 0), 0);

  it(`${ORDERS} simultaneous one-unit orders on stock ${STOCK} from two replicas: exactly ${STOCK} orders, stock 0, no lock left, ${ROUNDS} rounds`, async () => {
    const shoppers = await Promise.all(Array.from({ length: ORDERS }, (_, i) => tokens.user(21_000 + i, `pooled${i}@example.test`)));
    const rounds: string[] = [];
    const seen: unknown[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      product.setStock(PRODUCT._id, STOCK);
      const repairsBefore = repairs();
      const lastReservation = (await db.query<{ max: string | null }>('SELECT max(id) AS max FROM stock_reservations'))[0]!.max;
      const lastOrder = (await db.query<{ max: string | null }>('SELECT max(id) AS max FROM orders'))[0]!.max;
      const answers: Answer[] = await Promise.all(
        shoppers.map((token, i) =>
          createClient(() => services[i % 2]!.url, transcript)('POST', '/orders', {
            token,
            body: { items: [{ product_id: PRODUCT._id, quantity: 1 }], shipping_address: ADDRESS },
            headers: { 'idempotency-key': `pooled-${route}-${round}-${i}` },
            timeoutMs: 20_000,
          }),
        ),
      );
      const statuses = tally(answers.map(label));
      // the locks go when the last checkout's critical section ends, which may follow its answer by a statement
      const locks = await until(async () => (await db.advisoryLocks()) === 0, 3_000, 'advisory locks released')
        .then(() => 0)
        .catch(() => db.advisoryLocks());
      const orders = await db.query<{ id: string; quantity: string }>(
        'SELECT o.id, sum(i.quantity) AS quantity FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id > $1 GROUP BY o.id',
        [lastOrder ?? 0],
      );
      const reservations = await db.query<{ state: string; stock_before: number; stock_after: number; quantity: number }>(
        'SELECT state, stock_before, stock_after, quantity FROM stock_reservations WHERE id > $1 ORDER BY id',
        [lastReservation ?? 0],
      );
      const applied = reservations.filter((r) => r.state === 'applied');
      const chain = [STOCK, ...applied.map((r) => r.stock_after)];
      const figures = {
        round,
        statuses,
        orders: orders.length,
        units: orders.reduce((n, o) => n + Number(o.quantity), 0),
        stockLeft: product.stockOf(PRODUCT._id),
        locksLeft: locks,
        reservations: tally(reservations.map((r) => r.state)),
        // each applied reservation starts where the previous one ended
        chainBroken: applied.some((r, k) => r.stock_before !== chain[k] || r.stock_before - r.stock_after !== r.quantity),
        maxMs: Math.round(Math.max(...answers.map((a) => a.ms))),
        // nothing crashed, so the crash repair has nothing to give back
        repairs: repairs() - repairsBefore,
      };
      const { round: _round, maxMs: _maxMs, ...got } = figures;
      rounds.push(JSON.stringify(figures));
      seen.push({ ...got, reservations: Object.keys(got.reservations) });
    }
    console.log(`pooler checkout (${route}):\n${rounds.join('\n')}`);
    const expected = {
      statuses: { '201': STOCK, '409 out of stock': ORDERS - STOCK },
      orders: STOCK,
      units: STOCK,
      stockLeft: 0,
      locksLeft: 0,
      reservations: ['applied'],
      chainBroken: false,
      repairs: 0,
    };
    expect(seen).toEqual(Array.from({ length: ROUNDS }, () => expected));
  });
});

it('never showed the secret key or the database password', () => {
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});

/** 201, "409 out of stock", or the status with its problem type and dependency ("503 dependency-unavailable (stock-lock)") */
function label(a: Answer): string {
  if (a.status === 201) return '201';
  if (a.status === 409 && a.body?.available !== undefined) return '409 out of stock';
  if (a.status === 0) return `no answer (${a.error})`;
  return `${a.status} ${String(a.body?.type ?? '').replace(/^.*\//, '')}${a.body?.dependency ? ` (${a.body.dependency})` : ''}`;
}
