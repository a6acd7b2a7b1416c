// Crash safety (issue 7): 32 clients create orders with Idempotency-Keys and retry on every failure,
// while the service is SIGKILLed and restarted several times. Afterwards every key that got a 201
// has exactly one order with all its items and exact totals, no order exists that no key accounts
// for, and the product service's stock matches the orders (the reconciler repairs what a kill in the
// middle of a checkout left behind).

import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { startProductStandIn, type ProductStandIn, type StandInProduct } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';
import { freePort } from '../support/net.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, type Answer } from './support/client.js';
import { CANARY, createPasswordDatabase, HEAVY, sleep, spawnService, Transcript, until, type PasswordDatabase } from './support/harness.js';

jest.setTimeout(300_000);

const CLIENTS = 32;
const KILLS = HEAVY ? 10 : 4;
const KILL_EVERY_MS = HEAVY ? 3000 : 2000;
const STOCK = 1_000_000;
const CATALOGUE: StandInProduct[] = [
  { _id: 11, sku: 'C-11', title: 'Crash-tested mug', price: 12.99, currency: 'USD', image: '/i/11.jpg', stock: STOCK, isActive: true },
  { _id: 12, sku: 'C-12', title: 'Crash-tested filters', price: 0.29, currency: 'USD', image: '/i/12.jpg', stock: STOCK, isActive: true },
  { _id: 13, sku: 'C-13', title: 'Crash-tested grinder', price: 89.0, currency: 'USD', image: '/i/13.jpg', stock: STOCK, isActive: true },
  { _id: 14, sku: 'C-14', title: 'Crash-tested apron', price: 19.99, currency: 'USD', image: '/i/14.jpg', stock: STOCK, isActive: true },
];

const transcript = new Transcript();
const tokens = createTokens(CANARY.secretKey);
let db: PasswordDatabase;
let product: ProductStandIn;
let service: ServiceProcess;
let env: Record<string, string>;
let port: number;
const call = createClient(() => `http://127.0.0.1:${port}`, transcript);

beforeAll(async () => {
  db = await createPasswordDatabase();
  product = await startProductStandIn({ catalogue: CATALOGUE });
  port = await freePort();
  env = {
    DATABASE_URL: db.url,
    PRODUCT_SERVICE_URL: product.url,
    SERVICE_PORT: String(port),
    MIGRATE_ON_START: 'true',
    DB_POOL_MAX: '10',
    IDEMPOTENCY_LEASE_SECONDS: '2',
    STOCK_RECONCILE_GRACE_SECONDS: '2',
    STOCK_RECONCILE_INTERVAL_SECONDS: '1',
  };
  service = await spawnService(env, transcript, 'service #1');
});

afterAll(async () => {
  await service?.kill('SIGTERM');
  await product?.close();
  await db?.drop();
});

interface Outcome {
  key: string;
  userId: number;
  items: Array<{ product_id: number; quantity: number }>;
  created?: Answer;
  attempts: number;
  /** answers other than 201 and the retryable ones (connection refused/reset, 503, in-flight 409) */
  unexpected: Answer[];
}

const retryable = (a: Answer) => a.status === 0 || a.status === 503 || (a.status === 409 && typeof a.body?.idempotency_key === 'string');

it('loses and duplicates no acknowledged order across repeated SIGKILLs, and stock matches the orders', async () => {
  const outcomes: Outcome[] = [];
  let loadOver = false;
  const userTokens = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => tokens.user(5000 + i, `crash${i}@example.test`)));

  const client = async (i: number) => {
    let n = 0;
    while (!loadOver) {
      n++;
      const items = CATALOGUE.filter((_, j) => (i + n + j) % 3 !== 0).map((p, j) => ({ product_id: p._id, quantity: 1 + ((i + n + j) % 3) }));
      const outcome: Outcome = { key: randomUUID(), userId: 5000 + i, items, attempts: 0, unexpected: [] };
      outcomes.push(outcome);
      const deadline = Date.now() + 60_000;
      while (!outcome.created && Date.now() < deadline) {
        outcome.attempts++;
        const a = await call('POST', '/orders', {
          token: userTokens[i]!,
          body: { items, shipping_address: ADDRESS },
          headers: { 'idempotency-key': outcome.key },
          timeoutMs: 15_000,
        });
        if (a.status === 201) {
          outcome.created = a;
          // a client that lost the answer would send it again: the same order comes back
          if (n % 5 === 0) {
            let again: Answer;
            do {
              again = await call('POST', '/orders', { token: userTokens[i]!, body: { items, shipping_address: ADDRESS }, headers: { 'idempotency-key': outcome.key } });
              if (retryable(again)) await sleep(100 + Math.random() * 200);
            } while (retryable(again) && Date.now() < deadline);
            if (again.status !== 201 || again.body.id !== a.body.id || !again.replayed) outcome.unexpected.push(again);
          }
        } else if (retryable(a)) {
          await sleep(50 + Math.random() * 250);
        } else {
          outcome.unexpected.push(a);
          break;
        }
      }
    }
  };

  const killer = async () => {
    for (let k = 1; k <= KILLS; k++) {
      await sleep(KILL_EVERY_MS * (0.6 + Math.random() * 0.8));
      await service.kill('SIGKILL');
      await sleep(200);
      service = await spawnService(env, transcript, `service #${k + 1}`);
    }
    await sleep(1500);
    loadOver = true;
  };

  const started = performance.now();
  await Promise.all([killer(), ...Array.from({ length: CLIENTS }, (_, i) => client(i))]);
  const elapsed = performance.now() - started;

  // every client finished every key it started with a 201, and nothing else came back
  expect(outcomes.filter((o) => o.unexpected.length).map((o) => o.unexpected.map((a) => `${a.status} ${a.error ?? ''} ${JSON.stringify(a.body)}`))).toEqual([]);
  expect(outcomes.filter((o) => !o.created).length).toBe(0);
  const created = outcomes.filter((o): o is Outcome & { created: Answer } => !!o.created);

  // each acknowledged key → exactly one order, with the 201's id, items and totals
  const rows = await db.query<{ key: string; user_id: string; order_id: string | null; state: string }>('SELECT key, user_id, order_id, state FROM idempotency_keys');
  const byKey = new Map(rows.map((r) => [`${r.user_id}/${r.key}`, r]));
  for (const o of created) {
    const row = byKey.get(`${o.userId}/${o.key}`);
    expect({ key: o.key, state: row?.state, order: row?.order_id }).toEqual({ key: o.key, state: 'done', order: String(o.created.body.id) });
  }
  const orders = await db.query<{ id: string; user_id: string; subtotal_cents: string; tax_cents: string; shipping_cents: string; total_cents: string; items: number; units: string; items_total: string }>(`
    SELECT o.id, o.user_id, o.subtotal_cents, o.tax_cents, o.shipping_cents, o.total_cents,
           count(i.id)::int AS items, sum(i.quantity) AS units, sum(i.total_price_cents) AS items_total
      FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id`);
  const orphanOrders = await db.query<{ n: string }>('SELECT count(*) AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)');
  expect(Number(orphanOrders[0]!.n)).toBe(0);
  // no order that no key accounts for, and no key with two orders
  expect(orders.length).toBe(created.length);
  expect(new Set(created.map((o) => o.created.body.id)).size).toBe(created.length);
  const byId = new Map(orders.map((r) => [Number(r.id), r]));
  // amounts are two-decimal strings: their digits are the cents, exactly
  const cents = (v: unknown) => (typeof v === 'string' && /^\d+\.\d{2}$/.test(v) ? Number(v.replace('.', '')) : Number.NaN);
  for (const o of created) {
    const row = byId.get(o.created.body.id as number)!;
    const body = o.created.body;
    expect({
      user: Number(row.user_id),
      items: row.items,
      units: Number(row.units),
      subtotal: Number(row.subtotal_cents),
      itemsTotal: Number(row.items_total),
      total: Number(row.total_cents),
      sum: Number(row.subtotal_cents) + Number(row.tax_cents) + Number(row.shipping_cents),
    }).toEqual({
      user: o.userId,
      items: o.items.length,
      units: o.items.reduce((s, it) => s + it.quantity, 0),
      subtotal: cents(body.subtotal),
      itemsTotal: cents(body.subtotal),
      total: cents(body.total_amount),
      sum: cents(body.total_amount),
    });
  }

  // stock: what the product service holds is what the orders took (after the reconciler's grace)
  const expected = new Map(CATALOGUE.map((p) => [p._id, STOCK]));
  for (const o of created) for (const it of o.items) expected.set(it.product_id, expected.get(it.product_id)! - it.quantity);
  await until(() => CATALOGUE.every((p) => product.stockOf(p._id) === expected.get(p._id)), 30_000, `stock matches orders: ${JSON.stringify(CATALOGUE.map((p) => [p._id, product.stockOf(p._id), expected.get(p._id)]))}`);
  const open = await db.query<{ state: string; n: string }>("SELECT state, count(*) AS n FROM stock_reservations WHERE state IN ('pending', 'needs_review') GROUP BY state");
  expect(open).toEqual([]);

  const compensated = await db.query<{ n: string }>("SELECT count(*) AS n FROM stock_reservations WHERE state = 'compensated'");
  const attempts = outcomes.reduce((s, o) => s + o.attempts, 0);
  console.log(
    `crash safety: ${KILLS} SIGKILLs in ${(elapsed / 1000).toFixed(1)} s, ${CLIENTS} clients, ${created.length} orders acknowledged ` +
      `after ${attempts} attempts (${attempts - created.length} retries); every one exists once with its items and totals; ` +
      `${compensated[0]!.n} stock reservations of killed checkouts given back; stock of all ${CATALOGUE.length} products matches the orders`,
  );
});

it('never showed the secret key or the database password', () => {
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});
