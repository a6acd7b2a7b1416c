// Swagger UI's "Try it out" works as it is: every operation of the document, sent with the examples
// the document gives (path parameters, request bodies) and the token its tag asks for, succeeds
// against npm start's stand-ins and a real sidecar — each on a fresh database holding the one order
// a newcomer creates first with the create example.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { QueryTypes } from 'sequelize';
import { createDatabase, type Database } from '../../src/data/database.js';
import { loadApiDocument } from '../../src/http/api.js';
import { freePort } from '../support/net.js';
import { startTestService, type TestService } from '../support/service.js';
import { startSidecarProcess } from '../support/sidecar.js';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  example?: unknown;
  schema?: { example?: unknown };
}
interface Operation {
  operationId: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { $ref: string } | { content: Record<string, { example?: unknown }> };
  'x-twin-of'?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const doc = loadApiDocument() as any;
const resolveRef = <T>(x: T | { $ref: string }): T =>
  typeof x === 'object' && x !== null && '$ref' in x ? (x.$ref.split('/').slice(1).reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, doc) as T) : (x as T);

const operations: Array<{ method: string; path: string; op: Operation; shared: Array<Parameter | { $ref: string }> }> = Object.entries(
  doc.paths as Record<string, Record<string, Operation> & { parameters?: Array<Parameter | { $ref: string }> }>,
).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([, op]) => typeof op === 'object' && op !== null && typeof (op as Operation).operationId === 'string')
    .map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Operation, shared: item.parameters ?? [] })),
);
const byId = new Map(operations.map((o) => [o.op.operationId, o.op]));

let svc: TestService;
let sidecar: ChildProcess;
let db: Database;
let tokens: { user: string; admin: string };

beforeAll(async () => {
  const sidecarPort = await freePort();
  // no Redis: a truncated database must not be answered from a cache
  svc = await startTestService({ env: { SIDECAR_URL: `http://127.0.0.1:${sidecarPort}`, REDIS_URL: '' } });
  sidecar = await startSidecarProcess(sidecarPort, {
    DATABASE_URL: svc.config.databaseUrl,
    USER_SERVICE_URL: svc.peers.user.url,
    CART_SERVICE_URL: svc.peers.cart.url,
    PRODUCT_SERVICE_URL: svc.peers.product.url,
    SEARCH_SERVICE_URL: svc.peers.search.url,
  });
  db = createDatabase({ url: svc.config.databaseUrl, poolMax: 1 });
  tokens = { user: await svc.tokens.user(1), admin: await svc.tokens.admin() };
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${svc.url}/health/ready`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the service never read the sidecar');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);
afterAll(async () => {
  await db.close();
  sidecar.kill('SIGTERM');
  await once(sidecar, 'exit');
  await svc.stop();
});

const createExample = resolveRef<{ content: Record<string, { example?: unknown }> }>(byId.get('createOrder')!.requestBody!).content['application/json']!.example;

const webhookExample = resolveRef<{ content: Record<string, { example?: unknown }> }>(byId.get('createWebhook')!.requestBody!).content['application/json']!.example;

/**
 * A fresh database with the order a newcomer creates first: order 1, the shopper's, after webhook
 * endpoint 1 was registered with the create example (so order 1's order.created is delivery 1).
 */
async function freshWithOneOrder(): Promise<void> {
  await db.query('TRUNCATE orders, order_stats_daily, outbox_events, idempotency_keys, stock_reservations, webhook_endpoints, webhook_deliveries RESTART IDENTITY CASCADE');
  svc.peers.product.setStock(7, 12); // the stand-in's catalogue as npm start begins it
  const hook = await fetch(`${svc.url}/admin/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(webhookExample),
  });
  expect(hook.status).toBe(201);
  const r = await fetch(`${svc.url}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.user}`, 'content-type': 'application/json' },
    body: JSON.stringify(createExample),
  });
  expect(r.status).toBe(201);
  expect(((await r.json()) as { id: number }).id).toBe(1);
}

test('the create example exists and makes an order', () => {
  expect(createExample).toBeDefined();
});

test.each(operations.map((o) => [`${o.method} ${o.path} (${o.op.operationId})`, o] as const))('%s works with its examples', async (_name, { method, path, op, shared }) => {
  await freshWithOneOrder();
  const parameters = [...shared, ...(op.parameters ?? [])].map((p) => resolveRef<Parameter>(p));
  let url = path;
  for (const p of parameters.filter((x) => x.in === 'path')) {
    const example = p.example ?? p.schema?.example;
    expect([p.name, example]).not.toEqual([p.name, undefined]); // every path parameter has one
    url = url.replace(`{${p.name}}`, encodeURIComponent(String(example)));
  }
  const query = new URLSearchParams(
    parameters.filter((x) => x.in === 'query' && (x.example ?? x.schema?.example) !== undefined).map((x): [string, string] => [x.name, String(x.example ?? x.schema?.example)]),
  );
  const body = op.requestBody ? resolveRef<{ content: Record<string, { example?: unknown }> }>(op.requestBody).content['application/json']?.example : undefined;
  if (op.requestBody) expect(body).toBeDefined(); // every body has one
  const canonical = byId.get(op['x-twin-of'] ?? op.operationId)!;
  const security = op.security ?? doc.security ?? [];
  const anonymous = security.length === 0 || security.some((s: object) => Object.keys(s).length === 0);
  const token = canonical.tags?.includes('admin') ? tokens.admin : anonymous ? undefined : tokens.user;
  const r = await fetch(`${svc.url}${url}${query.size ? `?${query}` : ''}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  expect([op.operationId, r.status, r.status < 300 ? '' : text]).toEqual([op.operationId, expect.any(Number), '']);
  expect(r.status).toBeGreaterThanOrEqual(200);
  expect(r.status).toBeLessThan(300);
});

test('the database answers the way the examples assume (order 1 belongs to the example shopper)', async () => {
  await freshWithOneOrder();
  const [row] = await db.query<{ user_id: string }>('SELECT user_id FROM orders WHERE id = 1', { type: QueryTypes.SELECT });
  expect(Number(row!.user_id)).toBe(1);
});
