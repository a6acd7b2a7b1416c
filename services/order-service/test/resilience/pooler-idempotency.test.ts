// One Idempotency-Key, one order, under a stall (issue 12), directly and through PgBouncer: a first
// request stalls past its lease (2 s) while its retry, sent to another replica, finds the key; then
// the first one goes on. Afterwards exactly one order exists for the key, every 201 names it, the
// first request answers 201 or 409 (fenced off), and the product service's stock is taken once.
// Three stalls: the product call hangs (inside the checkout's critical section), the cart call hangs
// (before any transaction, so the retry may take the key over), and, after that cart call, the
// first request's PostgreSQL connection freezes (a link in front of the database keeps its bytes)
// while the retry's connections are unaffected.

import { jest } from '@jest/globals';
import { startCartStandIn, startProductStandIn, type CartStandIn, type ProductStandIn, type StandInProduct } from '../support/stand-ins/index.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, type Answer } from './support/client.js';
import { CANARY, sleep, spawnService, until } from './support/harness.js';
import { ROUTES, pooledSuite, stopService, type StackDatabase } from './support/pooled-stack.js';
import { startGate, startLink, type Gate, type Link } from './support/stalls.js';

jest.setTimeout(120_000);

const LEASE_SECONDS = 2;
const STOCK = 10;
const product = (id: number): StandInProduct => ({ _id: id, sku: `P-${id}`, title: `Stall-proof item ${id}`, price: 15, currency: 'USD', image: `/i/${id}.jpg`, stock: STOCK, isActive: true });

const { transcript, tokens, stack } = pooledSuite();

/** the retryable answers: in flight elsewhere (409 naming the key), unavailable (503), no connection */
const retryable = (a: Answer) => a.status === 0 || a.status === 503 || (a.status === 409 && typeof a.body?.idempotency_key === 'string');
const label = (a: Answer) => `${a.status || a.error}${a.replayed ? ' replay' : ''}${a.status >= 400 ? ` ${a.body?.type?.replace(/^.*\//, '')}${a.body?.dependency ? ` (${a.body.dependency})` : ''}` : ''}`;

describe.each(ROUTES)('%s', (route) => {
  let db: StackDatabase;
  let products: ProductStandIn;
  let cart: CartStandIn;
  let productGate: Gate;
  let cartGate: Gate;
  let link: Link;
  /** a: its PostgreSQL connections go through the link; b: straight to the route's endpoint */
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    db = await stack().createDatabase();
    products = await startProductStandIn({ catalogue: [product(31), product(32), product(33)] });
    cart = await startCartStandIn({ secretKey: CANARY.secretKey });
    [productGate, cartGate] = await Promise.all([startGate(products.url), startGate(cart.url)]);
    link = await startLink(Number(new URL(db.urls[route]).port));
    const env = {
      PRODUCT_SERVICE_URL: productGate.url,
      CART_SERVICE_URL: cartGate.url,
      ...stack().tlsEnv(),
      IDEMPOTENCY_LEASE_SECONDS: String(LEASE_SECONDS),
      // calls are held longer than the lease on purpose; the client must not give up first
      PEER_TIMEOUT_MS: '20000',
      // no cart is cleared under a test's feet (clearing is the outbox relay's, not under test here)
      OUTBOX_INTERVAL_MS: '600000',
    };
    // side by side to save a start-up: a migrates, b finds the tables by the time a test begins;
    // a sends nothing to PostgreSQL of its own accord during a test (no reconciler runs there)
    [a, b] = await Promise.all([
      spawnService({ ...env, MIGRATE_ON_START: 'true', DATABASE_URL: link.via(db.urls[route]), STOCK_RECONCILE_INTERVAL_SECONDS: '86400' }, transcript, `${route} service a`),
      spawnService(
        { ...env, MIGRATE_ON_START: 'false', DATABASE_URL: db.urls[route], STOCK_RECONCILE_GRACE_SECONDS: '2', STOCK_RECONCILE_INTERVAL_SECONDS: '1' },
        transcript,
        `${route} service b`,
      ),
    ]);
  });

  afterAll(async () => {
    productGate?.release();
    cartGate?.release();
    link?.thaw();
    const ends = await Promise.all([stopService(a), stopService(b)]);
    if (ends.includes('killed')) console.log(`pooler idempotency (${route}): a service did not exit within 5 s of SIGTERM (${ends.join(', ')})`);
    await Promise.all([productGate?.close(), cartGate?.close(), link?.close()]);
    await Promise.all([products?.close(), cart?.close()]);
    await db?.drop();
  });

  /** when the key was last claimed (every claim, first or take-over, sets it) */
  async function claimedAt(userId: number, key: string): Promise<string | undefined> {
    return (await db.query<{ at: string }>('SELECT created_at::text AS at FROM idempotency_keys WHERE user_id = $1 AND key = $2', [userId, key]))[0]?.at;
  }

  async function keyRow(userId: number, key: string): Promise<string | undefined> {
    return (await db.query<{ row: string }>('SELECT to_jsonb(k)::text AS row FROM idempotency_keys k WHERE user_id = $1 AND key = $2', [userId, key]))[0]?.row;
  }

  /**
   * The first request (to a) stalls at `stall` until its lease has lapsed; the retry (to b) with
   * the same key and body then reaches the key; the first goes on; the client settles the retry.
   */
  async function stallPastLease(scenario: { userId: number; productId: number; fromCart: boolean; stall: 'product call' | 'cart call' | 'postgres' }) {
    const { userId, productId, fromCart, stall } = scenario;
    const key = `stall-${stall.replace(' ', '-')}-${route}`;
    const token = await tokens.user(userId, `stall${userId}@example.test`);
    if (fromCart) cart.setCart(userId, [{ productId, sku: `P-${productId}`, title: `Stall-proof item ${productId}`, quantity: 1, price: 15, currency: 'USD' }]);
    const send = (service: ServiceProcess) =>
      createClient(() => service.url, transcript)('POST', '/orders', {
        token,
        body: fromCart ? { shipping_address: ADDRESS } : { items: [{ product_id: productId, quantity: 1 }], shipping_address: ADDRESS },
        headers: { 'idempotency-key': key },
        timeoutMs: 30_000,
      });

    const gate = stall === 'product call' ? productGate : cartGate;
    const held = gate.holdNext('GET', stall === 'product call' ? `/products/${productId}` : `/cart/${userId}`);
    const first = send(a);
    await held;
    const claimed = await until(() => keyRow(userId, key), 5_000, 'the first request claimed the key');
    const firstClaim = await claimedAt(userId, key);
    await until(
      async () => (await db.query<{ lapsed: boolean }>('SELECT locked_until < now() AS lapsed FROM idempotency_keys WHERE user_id = $1 AND key = $2', [userId, key]))[0]?.lapsed,
      LEASE_SECONDS * 1000 + 5_000,
      'the first request’s lease lapsed',
    );

    let retried: Answer | undefined;
    if (stall === 'postgres') {
      link.freeze();
      gate.release();
      await until(() => link.waitingClients() > 0, 5_000, 'the first request waits on PostgreSQL');
      retried = await send(b);
      link.thaw();
    } else {
      const retry = send(b).then((x) => (retried = x));
      // the retry has taken the key over (its row changed) or answered without doing so
      await until(async () => retried !== undefined || (await keyRow(userId, key)) !== claimed, 10_000, 'the retry reached the key');
      gate.release();
      await retry;
    }
    const firstAnswer = await first;
    const takenOver = (await claimedAt(userId, key)) !== firstClaim;
    const retries = [retried!];
    // what a client does with a retryable answer: the same request again, a little later
    while (retryable(retries.at(-1)!) && retries.length < 40) {
      await sleep(250);
      retries.push(await send(b));
    }

    const orders = await db.query<{ id: string }>('SELECT id FROM orders WHERE user_id = $1 ORDER BY id', [userId]);
    const stockRight = await until(() => products.stockOf(productId) === STOCK - orders.length, 10_000, 'stock matches the orders')
      .then(() => true)
      .catch(() => false);
    const created = [firstAnswer, ...retries].filter((x) => x.status === 201);
    console.log(
      `pooler idempotency (${route}, ${stall} stalled): orders ${orders.length}; stock left ${products.stockOf(productId)} of ${STOCK}` +
        `${stockRight ? '' : ' (does not match the orders)'}; key claimed again after the first: ${takenOver ? 'yes' : 'no'}; ` +
        `first ${label(firstAnswer)}; retry ${retries.map(label).join(', ')}; 201s name orders ${JSON.stringify([...new Set(created.map((x) => x.body?.id))])}`,
    );
    expect(orders.length).toBe(1);
    expect(created.map((x) => String(x.body?.id))).toEqual(created.map(() => orders[0]!.id));
    expect(products.stockOf(productId)).toBe(STOCK - 1);
    // the stalled request's answer is the order (201, maybe as a replay) or a refusal as a duplicate (409)
    expect([201, 409]).toContain(firstAnswer.status);
    expect(retries.at(-1)!.status).toBe(201);
  }

  it('a request whose product call hangs past its lease, retried on another replica: one order', async () => {
    await stallPastLease({ userId: route === 'direct' ? 31_001 : 31_002, productId: 31, fromCart: false, stall: 'product call' });
  });

  it('a checkout whose cart call hangs past its lease while its retry takes the key over: one order', async () => {
    await stallPastLease({ userId: route === 'direct' ? 33_001 : 33_002, productId: 33, fromCart: true, stall: 'cart call' });
  });

  it('a checkout whose PostgreSQL connection freezes past its lease while its retry takes the key over: one order', async () => {
    await stallPastLease({ userId: route === 'direct' ? 32_001 : 32_002, productId: 32, fromCart: true, stall: 'postgres' });
  });
});

it('never showed the secret key or the database password', () => {
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});
