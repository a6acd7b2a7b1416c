// Redis hangs and then dies under a running service (issue 7). The test owns its redis-server. Every
// endpoint keeps answering correctly from PostgreSQL (latency may rise, errors may not), the cache
// resumes afterwards, and nothing read afterwards is stale: writes made during the outage are
// visible even though the hung Redis still held the old cached copies when it woke up.

import { spawn, type ChildProcess } from 'node:child_process';
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { startStandIns, type StandIns } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';
import { freePort } from '../support/net.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, quantile, type Answer } from './support/client.js';
import { CANARY, createPasswordDatabase, sleep, spawnService, spawnSidecar, Transcript, until, type PasswordDatabase, type SidecarProcess } from './support/harness.js';

jest.setTimeout(120_000);

const transcript = new Transcript();
const tokens = createTokens(CANARY.secretKey);
const STREAM = 'orders.events.resilience';
let redisPort: number;
let redisProc: ChildProcess | undefined;
let db: PasswordDatabase;
let peers: StandIns;
let service: ServiceProcess;
let sidecar: SidecarProcess;
const call = createClient(() => service.url, transcript);
let shopper: string;
let admin: string;

async function startRedis(): Promise<void> {
  const child = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redisProc = child;
  await until(async () => {
    const probe = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 10_000, 'redis-server starts');
}

async function stopRedis(): Promise<void> {
  const child = redisProc;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();
  db = await createPasswordDatabase();
  peers = await startStandIns({ secretKey: CANARY.secretKey });
  const deps = {
    DATABASE_URL: db.url,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    ...peers.env,
  };
  const sidecarPort = await freePort();
  sidecar = await spawnSidecar(sidecarPort, deps, transcript);
  service = await spawnService({ ...deps, SIDECAR_URL: sidecar.url, MIGRATE_ON_START: 'true', EVENTS_STREAM: STREAM, OUTBOX_INTERVAL_MS: '200' }, transcript);
  shopper = await tokens.user(4201, 'redis-outage@example.test');
  admin = await tokens.admin(1);
  await until(async () => (await call('GET', '/health/ready')).status === 200, 15_000, 'service ready');
});

afterAll(async () => {
  await service?.kill('SIGTERM');
  await sidecar?.stop();
  await stopRedis();
  await peers?.close();
  await db?.drop();
});

async function cacheCount(cache: string, result: string): Promise<number> {
  const text = (await call('GET', '/metrics')).body as string;
  const m = new RegExp(`^orders_cache_requests_total\\{cache="${cache}",result="${result}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

const create = () => call('POST', '/orders', { token: shopper, body: { items: [{ product_id: 2, quantity: 1 }], shipping_address: ADDRESS } });
const setStatus = (id: number, status: string) => call('PUT', `/admin/orders/${id}/status`, { token: admin, body: { status } });

/** One pass over every order endpoint, each checked for the right answer, not just a 2xx. */
async function everyEndpoint(order: { id: number; status: string }, next: string, expectedTotal: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  const check = (a: Answer, status: number) => {
    answers.push(a);
    expect({ status: a.status, body: a.status === status ? 'ok' : a.body }).toEqual({ status, body: 'ok' });
    return a;
  };
  check(await call('GET', `/orders/${order.id}`, { token: shopper }), 200);
  check(await setStatus(order.id, next), 200);
  expect(check(await call('GET', `/orders/${order.id}`, { token: shopper }), 200).body.status).toBe(next);
  expect(check(await call('GET', `/admin/orders/${order.id}`, { token: admin }), 200).body.status).toBe(next);
  const created = check(await create(), 201);
  const list = check(await call('GET', '/orders?size=100', { token: shopper }), 200);
  expect(list.body.map((o: { id: number }) => o.id)).toContain(created.body.id);
  const stats = check(await call('GET', '/admin/orders/stats', { token: admin }), 200);
  expect(stats.body.total_orders).toBe(expectedTotal);
  expect(stats.body[`${next}_orders`]).toBeGreaterThanOrEqual(1);
  check(await call('GET', '/admin/orders?size=5', { token: admin }), 200);
  check(await call('GET', '/', { token: shopper }), 200);
  check(await call('GET', '/health/ready'), 200); // Redis is not critical: still ready
  order.status = next;
  return answers;
}

it('keeps every endpoint correct while Redis hangs and while it is down, with no stale read afterwards', async () => {
  const first = await create();
  expect(first.status).toBe(201);
  const order = { id: first.body.id as number, status: 'pending' };
  // warm the cache: the order and the statistics are now cached in Redis
  for (let i = 0; i < 2; i++) {
    expect((await call('GET', `/orders/${order.id}`, { token: shopper })).status).toBe(200);
    expect((await call('GET', '/admin/orders/stats', { token: admin })).status).toBe(200);
  }
  expect(await cacheCount('order', 'hit')).toBeGreaterThanOrEqual(1);
  const baseline: number[] = [];
  for (let i = 0; i < 10; i++) baseline.push((await call('GET', `/orders/${order.id}`, { token: shopper })).ms);

  // 1. Redis hangs (SIGSTOP): it keeps its cached copy of the order, with the old status
  redisProc!.kill('SIGSTOP');
  const hung = await everyEndpoint(order, 'confirmed', 2);
  redisProc!.kill('SIGCONT');
  // the hung Redis still holds "pending": the first read must not return it
  const afterHang = await call('GET', `/orders/${order.id}`, { token: shopper });
  expect(afterHang.body.status).toBe('confirmed');
  expect((await call('GET', '/admin/orders/stats', { token: admin })).body.confirmed_orders).toBe(1);

  // 2. Redis dies (SIGKILL) and stays away for a while
  await stopRedis();
  const down = await everyEndpoint(order, 'processing', 3);
  await sleep(1500); // the client is reconnecting in the background meanwhile
  const downAgain = await everyEndpoint(order, 'shipped', 4);

  // 3. Redis returns (empty): the client reconnects by itself and the cache works again
  await startRedis();
  const hitsBefore = await cacheCount('order', 'hit');
  await until(async () => {
    await call('GET', `/orders/${order.id}`, { token: shopper });
    return (await cacheCount('order', 'hit')) > hitsBefore;
  }, 15_000, 'cache hits resume after Redis returns');
  const fresh = await call('GET', `/orders/${order.id}`, { token: shopper });
  expect(fresh.body.status).toBe('shipped');
  expect((await call('GET', '/admin/orders/stats', { token: admin })).body.total_orders).toBe(4);

  // the events of the outage reach the stream once Redis is back (the outbox kept them)
  const reader = new Redis({ port: redisPort, host: '127.0.0.1' });
  try {
    // what happened while Redis was down: two status changes of the order and two new orders
    const outageEvents = async () => {
      const entries = await reader.xrange(STREAM, '-', '+');
      const fields = entries.map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]]))) as Record<string, string>);
      return {
        statusChanges: fields.filter((f) => f.type === 'order.status_changed' && f.order_id === String(order.id)).length,
        created: fields.filter((f) => f.type === 'order.created').length,
      };
    };
    await until(async () => {
      const seen = await outageEvents();
      return seen.statusChanges >= 2 && seen.created >= 2;
    }, 15_000, 'outbox delivers the events of the outage');
  } finally {
    reader.disconnect();
  }

  const outage = [...hung, ...down, ...downAgain];
  expect(outage.every((a) => a.status >= 200 && a.status < 300)).toBe(true);
  console.log(
    `redis outage: ${outage.length} requests while Redis hung or was down, 0 errors; ` +
      `GET /orders/{id} p50 ${quantile(baseline, 0.5).toFixed(1)} ms with Redis, ` +
      `hung: p50 ${quantile(hung.map((a) => a.ms), 0.5).toFixed(1)} ms / max ${Math.max(...hung.map((a) => a.ms)).toFixed(0)} ms, ` +
      `down: p50 ${quantile(down.map((a) => a.ms), 0.5).toFixed(1)} ms / max ${Math.max(...down.map((a) => a.ms)).toFixed(0)} ms`,
  );
});

it('never showed the secret key or the database password', async () => {
  await call('GET', '/metrics');
  await transcript.fetch(`${sidecar.url}/v1/results`);
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});
