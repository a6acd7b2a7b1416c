// /health/* over real HTTP between the service and the built sidecar process: answers come from
// the sidecar's snapshot, never from the dependencies; a missing sidecar is unknown, never connected.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startTestService, type TestService } from '../support/service.js';
import { freePort } from '../support/net.js';
import { startSidecarProcess } from '../support/sidecar.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;


/** The service caches an unreachable sidecar for a second: wait until it has read the first snapshot. */
async function untilReady(url: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await fetch(`${url}/health/ready`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('service never read the sidecar');
    await new Promise((r) => setTimeout(r, 100));
  }
}

let svc: TestService;
let sidecar: ChildProcess;
let sidecarPort: number;
const get = async (path: string, token?: string) => {
  const r = await fetch(`${svc.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: r.status, body: (await r.json()) as Json };
};

beforeAll(async () => {
  sidecarPort = await freePort();
  svc = await startTestService({ env: { SIDECAR_URL: `http://127.0.0.1:${sidecarPort}` } });
  sidecar = await startSidecarProcess(sidecarPort, {
    DATABASE_URL: svc.config.databaseUrl,
    REDIS_URL: svc.config.redisUrl ?? '',
    USER_SERVICE_URL: svc.peers.user.url,
    CART_SERVICE_URL: svc.peers.cart.url,
    PRODUCT_SERVICE_URL: svc.peers.product.url,
    SEARCH_SERVICE_URL: svc.peers.search.url,
  });
  await untilReady(svc.url);
});
afterAll(async () => {
  sidecar.kill('SIGKILL');
  await svc.stop();
});

test('/health/connectivity reports every dependency from the sidecar, in the seed shape', async () => {
  const { status, body } = await get('/health/connectivity');
  expect(status).toBe(200);
  expect(body).toMatchObject({
    status: 'healthy',
    live_system_status: 'operational',
    summary: { total_services: 6, connected: 6, failed: 0, warnings: 0 },
    source: { sidecar: 'ok' },
  });
  expect(body.connectivity.postgres).toMatchObject({ status: 'connected', critical: true, platform: 'Neon (AWS us-east-2)' });
  expect(body.connectivity.user_service).toMatchObject({ status: 'connected', platform: 'GKE' });
  expect(Object.keys(body.connectivity)).toEqual(['postgres', 'redis', 'user_service', 'cart_service', 'product_service', 'search_service']);
  expect(body.summary.not_configured).toBe(0);
  expect(svc.validateResponse('getHealthConnectivity', 200, body)).toEqual([]);
  expect(body.connectivity.postgres.details.version).toEqual(expect.any(String)); // HEALTH_DETAILS=always outside production
  for (const [path, name] of [['/health/postgres', 'postgres'], ['/health/redis', 'redis'], ['/health/cart-service', 'cart-service'], ['/health/search-service', 'search-service']]) {
    const one = await get(path!);
    expect(one).toMatchObject({ status: 200, body: { dependency: name, status: 'connected' } });
  }
  expect(await get('/health/ready')).toMatchObject({ status: 200, body: { status: 'ready', checks: { migrations: 'applied', postgres: 'healthy', postgres_last_probe: 'connected' } } });
  expect((await get('/health/info')).body).toMatchObject({ service: 'order-service', environment: 'test', configuration: expect.any(Object) });
});

test('a thousand health calls cost the dependencies nothing', async () => {
  const before = [svc.peers.user, svc.peers.cart, svc.peers.product, svc.peers.search].map((p) => p.totalRequests());
  await Promise.all(Array.from({ length: 200 }, () => fetch(`${svc.url}/health/connectivity`).then((r) => r.arrayBuffer())));
  for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 200 }, () => fetch(`${svc.url}/health/ready`).then((r) => r.arrayBuffer())));
  const after = [svc.peers.user, svc.peers.cart, svc.peers.product, svc.peers.search].map((p) => p.totalRequests());
  expect(after).toEqual(before);
});

test('a peer down shows as failed, and the service stays ready (peers are not critical)', async () => {
  const cart = svc.peers.cart;
  cart.setFaults({ reset: true });
  try {
    // probe it now rather than wait an interval: a fresh sidecar with a short interval
    const port = await freePort();
    const quick = await startSidecarProcess(port, { DATABASE_URL: svc.config.databaseUrl, CART_SERVICE_URL: cart.url });
    const snap = (await (await fetch(`http://127.0.0.1:${port}/v1/results`)).json()) as Json;
    quick.kill('SIGKILL');
    expect(snap.dependencies['cart-service']).toMatchObject({ status: 'failed', reason: 'connect' });
    expect(snap.ready).toBe(true);
  } finally {
    cart.setFaults({});
  }
});

test('/health/connectivity: the seed\'s keys, and a summary that adds up with a degraded, a dead and unconfigured peers', async () => {
  const port = await freePort();
  const other = await startTestService({ env: { SIDECAR_URL: `http://127.0.0.1:${port}` } });
  const closed = await freePort();
  other.peers.user.setHealth('degraded');
  const side = await startSidecarProcess(port, {
    DATABASE_URL: other.config.databaseUrl,
    USER_SERVICE_URL: other.peers.user.url,
    CART_SERVICE_URL: `http://127.0.0.1:${closed}`,
    PRODUCT_SERVICE_URL: other.peers.product.url,
  });
  try {
    await untilReady(other.url);
    const { status, body } = await (async () => {
      const r = await fetch(`${other.url}/health/connectivity`);
      return { status: r.status, body: (await r.json()) as Json };
    })();
    expect(status).toBe(200); // peers are not critical
    expect(Object.keys(body.connectivity)).toEqual(['postgres', 'redis', 'user_service', 'cart_service', 'product_service', 'search_service']);
    expect(body.connectivity.user_service).toMatchObject({ status: 'warning', reason: 'degraded' });
    expect(body.connectivity.cart_service).toMatchObject({ status: 'failed', reason: 'connect' });
    expect(body.connectivity.redis.status).toBe('not_configured');
    expect(body.summary).toEqual({ total_services: 4, connected: 2, failed: 1, warnings: 1, not_configured: 2 });
    const s = body.summary as Record<string, number>;
    expect(s.connected! + s.failed! + s.warnings!).toBe(s.total_services);
    expect(body).toMatchObject({ status: 'degraded', live_system_status: 'degraded' });
    expect(other.validateResponse('getHealthConnectivity', 200, body)).toEqual([]);
  } finally {
    side.kill('SIGKILL');
    await other.stop();
  }
});

test('sidecar gone: every dependency is unknown, ready is 503, live stays 200', async () => {
  sidecar.kill('SIGKILL');
  await once(sidecar, 'exit');
  await new Promise((r) => setTimeout(r, 1100)); // past the reader's one-second cache
  const c = await get('/health/connectivity');
  expect(c.status).toBe(503);
  expect(c.body).toMatchObject({ status: 'unhealthy', live_system_status: 'down', source: { sidecar: 'unreachable' } });
  expect(Object.values(c.body.connectivity).every((d) => (d as Json).status === 'unknown')).toBe(true);
  expect((await get('/health/ready')).status).toBe(503);
  expect((await get('/health/postgres')).body).toMatchObject({ status: 'unknown' });
  expect(await get('/health/live')).toMatchObject({ status: 200, body: { status: 'alive' } });
  expect((await get('/health')).status).toBe(200);
});

test('with HEALTH_DETAILS=admin only an admin token sees versions and the configuration', async () => {
  const port = await freePort();
  const admin = await startTestService({ env: { SIDECAR_URL: `http://127.0.0.1:${port}`, HEALTH_DETAILS: 'admin' } });
  const side = await startSidecarProcess(port, { DATABASE_URL: admin.config.databaseUrl });
  try {
    await untilReady(admin.url);
    const anon = await fetch(`${admin.url}/health/postgres`);
    const anonBody = (await anon.json()) as Json;
    expect(anonBody.status).toBe('connected');
    expect(anonBody.details).toBeUndefined();
    const adminBody = (await (await fetch(`${admin.url}/health/postgres`, { headers: { authorization: `Bearer ${await admin.tokens.admin()}` } })).json()) as Json;
    expect(adminBody.details).toMatchObject({ version: expect.any(String) });
    const info = (await (await fetch(`${admin.url}/health/info`)).json()) as Json;
    expect(info.configuration).toBeUndefined();
  } finally {
    side.kill('SIGKILL');
    await admin.stop();
  }
});

test("the service's /metrics passes promtool check metrics", async () => {
  await fetch(`${svc.url}/orders`, { headers: { authorization: `Bearer ${await svc.tokens.user(1)}` } }); // a labelled request
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  expect(text).toMatch(/orders_http_requests_total\{method="GET",route="\/orders",status="200"\} \d+/);
  const { execFileSync } = await import('node:child_process');
  // promtool prints lint problems and exits non-zero when there are any
  const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(out).toBe('');
});

test('a probe without a token answers as the full pipeline does, and anything else still takes the full pipeline', async () => {
  const sidecarUp = await startSidecarProcess(sidecarPort, { DATABASE_URL: svc.config.databaseUrl, REDIS_URL: svc.config.redisUrl ?? '' });
  try {
    await untilReady(svc.url);
    const probe = await fetch(`${svc.url}/health/connectivity`); // the probe path
    const full = await fetch(`${svc.url}/health/connectivity/`); // a trailing slash: openapi-backend's path
    expect(probe.status).toBe(full.status);
    for (const header of ['content-type', 'cache-control']) expect(probe.headers.get(header)).toBe(full.headers.get(header));
    expect(probe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const [a, b] = [(await probe.json()) as Json, (await full.json()) as Json];
    expect(Date.parse(a.timestamp)).toBeGreaterThan(Date.now() - 5000);
    expect({ ...a, timestamp: 0 }).toEqual({ ...b, timestamp: 0 });
    expect(Object.keys(a)).toEqual(['status', 'service', 'timestamp', 'connectivity', 'summary', 'live_system_status', 'source']);
    // the document allows no query parameters here: a query goes to validation, as before
    const withQuery = await fetch(`${svc.url}/health/connectivity?verbose=1`);
    expect(withQuery.status).toBe(400);
    expect(withQuery.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // HEAD answers without a body
    for (const path of ['/health/live', '/health/connectivity']) {
      const head = await fetch(`${svc.url}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await head.text()).toBe('');
    }
    // probes are counted under their route like any request
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/orders_http_requests_total\{method="GET",route="\/health\/connectivity",status="200"\} [1-9]/);
    expect(metrics).toMatch(/orders_http_requests_total\{method="HEAD",route="\/health\/live",status="200"\} [1-9]/);
  } finally {
    sidecarUp.kill('SIGKILL');
  }
});
