// PostgreSQL goes away and comes back under a running service (issue 7). The test owns the cluster
// (initdb/pg_ctl on a free port, scram password = the canary), the service and its sidecar are real
// processes. During the outage every database-backed request is a 503 problem+json with Retry-After
// within a bounded time (no hang, no 500) and readiness drops; afterwards the pool recovers by itself,
// readiness returns, and a request retried with its Idempotency-Key is taken exactly once.

import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import pg from 'pg';
import { startStandIns, type StandIns } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';
import { freePort } from '../support/net.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, quantile, type Answer } from './support/client.js';
import { CANARY, sleep, spawnService, spawnSidecar, Transcript, until, type SidecarProcess } from './support/harness.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from './support/throwaway-postgres.js';

jest.setTimeout(180_000);

const transcript = new Transcript();
const tokens = createTokens(CANARY.secretKey);
let cluster: ThrowawayPostgres;
let peers: StandIns;
let service: ServiceProcess;
let sidecar: SidecarProcess;
const call = createClient(() => service.url, transcript);
let shopper: string;
let admin: string;

/** The bound a client may wait for an answer while the database is down (connect timeout + margin). */
const OUTAGE_ANSWER_BOUND_MS = 6_000;

beforeAll(async () => {
  cluster = await startThrowawayPostgres(CANARY.dbPassword);
  peers = await startStandIns({ secretKey: CANARY.secretKey });
  const sidecarPort = await freePort();
  const deps = {
    DATABASE_URL: cluster.url,
    ...peers.env,
  };
  sidecar = await spawnSidecar(sidecarPort, { ...deps, CRITICAL_FAILURE_THRESHOLD: '1', CRITICAL_RECOVERY_THRESHOLD: '1' }, transcript);
  service = await spawnService(
    { ...deps, SIDECAR_URL: sidecar.url, MIGRATE_ON_START: 'true', DB_POOL_MAX: '5', OUTBOX_INTERVAL_MS: '200', STOCK_RECONCILE_INTERVAL_SECONDS: '1' },
    transcript,
  );
  shopper = await tokens.user(4101, 'pg-restart@example.test');
  admin = await tokens.admin(1);
  await until(async () => (await call('GET', '/health/ready')).status === 200, 15_000, 'service ready through the sidecar');
});

afterAll(async () => {
  await service?.kill('SIGTERM');
  await sidecar?.stop();
  await peers?.close();
  await cluster?.destroy();
});

const order = (key?: string) =>
  call('POST', '/orders', {
    token: shopper,
    body: { items: [{ product_id: 3, quantity: 2 }], shipping_address: ADDRESS },
    headers: key ? { 'idempotency-key': key } : {},
    timeoutMs: 20_000,
  });

async function countOrders(): Promise<number> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n);
  } finally {
    await client.end();
  }
}

it('answers 503 problem+json with Retry-After during a PostgreSQL restart, then recovers by itself', async () => {
  const before = await order();
  expect(before.status).toBe(201);
  const orderId = before.body.id as number;
  const stockBefore = peers.product.stockOf(3)!;

  await cluster.stop();
  const stoppedAt = performance.now();

  // every database-backed operation, several rounds while the database is down
  const keyDuringOutage = randomUUID();
  const during: Array<Answer & { op: string }> = [];
  const ops: Array<[string, () => Promise<Answer>]> = [
    ['POST /orders (with key)', () => order(keyDuringOutage)],
    ['POST /orders', () => order()],
    ['GET /orders', () => call('GET', '/orders', { token: shopper })],
    ['GET /orders/{id}', () => call('GET', `/orders/${orderId}`, { token: shopper })],
    ['GET /admin/orders', () => call('GET', '/admin/orders', { token: admin })],
    ['GET /admin/orders/stats', () => call('GET', '/admin/orders/stats', { token: admin })],
    ['PUT /admin/orders/{id}/status', () => call('PUT', `/admin/orders/${orderId}/status`, { token: admin, body: { status: 'confirmed' } })],
    ['DELETE /orders/{id}', () => call('DELETE', `/orders/${orderId}`, { token: shopper })],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [op, run] of ops) during.push({ op, ...(await run()) });
    await sleep(300);
  }
  for (const a of during) {
    expect({ op: a.op, status: a.status, type: a.contentType, problem: a.body?.type, dependency: a.body?.dependency }).toEqual({
      op: a.op,
      status: 503,
      type: 'application/problem+json; charset=utf-8',
      problem: 'https://orders.ecommerce.dev/problems/dependency-unavailable',
      dependency: 'postgres',
    });
    expect(Number(a.retryAfter)).toBeGreaterThan(0);
    expect(a.ms).toBeLessThan(OUTAGE_ANSWER_BOUND_MS);
  }
  // nothing reached the product service's stock while the orders could not be written
  expect(peers.product.stockOf(3)).toBe(stockBefore);

  // readiness follows the sidecar's probe; liveness does not (a restart would not help)
  await until(async () => (await call('GET', '/health/ready')).status === 503, 10_000, 'readiness drops');
  expect((await call('GET', '/health/live')).status).toBe(200);
  const outageMs = performance.now() - stoppedAt;

  await cluster.start();
  const startedAt = performance.now();
  await until(async () => (await call('GET', '/orders', { token: shopper })).status === 200, 20_000, 'the pool recovers without a restart');
  const recoveredMs = performance.now() - startedAt;
  await until(async () => (await call('GET', '/health/ready')).status === 200, 15_000, 'readiness returns');
  const readyMs = performance.now() - startedAt;

  // the request refused during the outage, retried with its key: taken now, once
  const retried = await order(keyDuringOutage);
  expect(retried.status).toBe(201);
  const replay = await order(keyDuringOutage);
  expect(replay.status).toBe(201);
  expect(replay.replayed).toBe(true);
  expect(replay.body.id).toBe(retried.body.id);
  expect(await countOrders()).toBe(2);
  expect(peers.product.stockOf(3)).toBe(stockBefore - 2);
  expect((await call('GET', `/orders/${orderId}`, { token: shopper })).body.status).toBe('pending');

  const latencies = during.map((a) => a.ms);
  console.log(
    `postgres restart: ${during.length} requests during a ${Math.round(outageMs)} ms outage, all 503 + Retry-After; ` +
      `p50 ${quantile(latencies, 0.5).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms; ` +
      `serving again ${recoveredMs.toFixed(0)} ms and ready ${readyMs.toFixed(0)} ms after PostgreSQL was back`,
  );
});

it('never showed the secret key or the database password', async () => {
  await call('GET', '/metrics');
  await transcript.fetch(`${sidecar.url}/metrics`);
  await transcript.fetch(`${sidecar.url}/v1/results`);
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});
