// Idempotency-Key on POST /orders and the storefront's POST /, over HTTP with a real PostgreSQL.
import { QueryTypes } from 'sequelize';
import { createDatabase } from '../../src/data/database.js';
import { startTestService, type TestService } from '../support/service.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
let svc: TestService;
let count: (sql: string) => Promise<number>;
let closeDb: () => Promise<void>;
let shopper: string;

beforeAll(async () => {
  svc = await startTestService();
  shopper = await svc.tokens.user(1);
  const db = createDatabase({ url: svc.config.databaseUrl, poolMax: 1 });
  count = async (sql) => Number((await db.query<{ n: string }>(sql, { type: QueryTypes.SELECT }))[0]!.n);
  closeDb = () => db.close();
});
afterAll(async () => {
  await closeDb();
  await svc.stop();
});

function post(path: string, body: unknown, key?: string, token = shopper) {
  return fetch(`${svc.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
}

test('20 concurrent creates with one key make exactly one order; the rest are replays or 409s', async () => {
  const body = { items: [{ product_id: 1, quantity: 1 }], shipping_address: address };
  const before = await count('SELECT count(*) AS n FROM orders');
  const responses = await Promise.all(Array.from({ length: 20 }, () => post('/orders', body, 'key-concurrent-20')));
  const statuses = responses.map((r) => r.status);
  const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>));
  const created = responses.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true');
  expect(created).toHaveLength(1);
  expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
  expect(await count('SELECT count(*) AS n FROM orders')).toBe(before + 1);
  const ids = new Set(bodies.filter((_, i) => statuses[i] === 201).map((b) => b.id));
  expect(ids.size).toBe(1);
  for (const [i, r] of responses.entries()) {
    if (r.status === 409) expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    else expect(bodies[i]!.order_number).toBe(bodies.find((b) => b.order_number)!.order_number);
  }
});

test('a retry with the same key replays the first response, marked as a replay', async () => {
  const body = { items: [{ product_id: 2, quantity: 2 }], shipping_address: address };
  const first = await post('/orders', body, 'key-replay');
  const firstBody = (await first.json()) as Json;
  const again = await post('/', { shipping_address: address, items: [{ quantity: 2, product_id: 2 }] }, 'key-replay'); // storefront path, keys reordered
  expect(again.status).toBe(201);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(await again.json()).toEqual(firstBody);
  expect(await count(`SELECT count(*) AS n FROM orders WHERE id = ${Number(firstBody.id)}`)).toBe(1);
});

test('the same key with a different body is 422 and writes nothing', async () => {
  await post('/orders', { items: [{ product_id: 1, quantity: 1 }], shipping_address: address }, 'key-reuse');
  const before = await count('SELECT count(*) AS n FROM orders');
  const r = await post('/orders', { items: [{ product_id: 1, quantity: 3 }], shipping_address: address }, 'key-reuse');
  expect(r.status).toBe(422);
  expect(await r.json()).toMatchObject({ type: expect.stringContaining('idempotency-key-reused') });
  expect(await count('SELECT count(*) AS n FROM orders')).toBe(before);
});

test('keys belong to their caller: another shopper may use the same key', async () => {
  const body = { items: [{ product_id: 1, quantity: 1 }], shipping_address: address };
  const mine = (await (await post('/orders', body, 'key-shared')).json()) as Json;
  const other = await post('/orders', body, 'key-shared', await svc.tokens.user(77));
  expect(other.status).toBe(201);
  expect(other.headers.get('idempotent-replayed')).toBeNull();
  expect(((await other.json()) as Json).id).not.toBe(mine.id);
});

test('a refused request frees its key: fixing the request and retrying works', async () => {
  const bad = await post('/orders', { items: [{ product_id: 6, quantity: 1 }], shipping_address: address }, 'key-after-422');
  expect(bad.status).toBe(422); // inactive product
  const good = await post('/orders', { items: [{ product_id: 1, quantity: 1 }], shipping_address: address }, 'key-after-422');
  expect(good.status).toBe(201);
  expect(await count("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'key-after-422' AND state = 'done'")).toBe(1);
});

test('without the header nothing changes: two posts, two orders', async () => {
  const body = { items: [{ product_id: 1, quantity: 1 }], shipping_address: address };
  const a = (await (await post('/orders', body)).json()) as Json;
  const b = (await (await post('/orders', body)).json()) as Json;
  expect(a.id).not.toBe(b.id);
});
