// The sidecar against real PostgreSQL and Redis, HTTP peers over real sockets and a stand-in
// of the Kubernetes API.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import pg from 'pg';
import { containerBudget } from '../../charts/test/container-budget.js';
import { loadSidecarConfig } from '../src/config.js';
import { startSidecar } from '../src/main.js';
import { buildSnapshot } from '../src/results.js';
import { startKubeApi } from './support/kube-api.js';
import { until } from '../../services/order-service/test/resilience/support/harness.js';
import { freePort } from '../../services/order-service/test/support/net.js';

const PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function httpPeer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    handler!(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => hits };
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  await c.query(sql);
  await c.end();
}

const base = { SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: '0', LOG_LEVEL: 'ERROR', PROBE_INTERVAL_SECONDS: '0.2' };

describe('configuration', () => {
  test('every peer is probed at {URL}/health (the user service too: CONTRACTS.md §5), with its platform timeout', () => {
    expect(loadSidecarConfig({ USER_SERVICE_URL: 'http://user-service:9090' }).dependencies.find((d) => d.name === 'user-service')!.target).toBe('http://user-service:9090/health');
    const c = loadSidecarConfig({ USER_SERVICE_URL: 'https://gw.example/user', CART_SERVICE_URL: 'http://cart:8080' });
    expect(c.dependencies.find((d) => d.name === 'user-service')!.target).toBe('https://gw.example/user/health');
    expect(c.dependencies.find((d) => d.name === 'cart-service')).toMatchObject({ target: 'http://cart:8080/health', timeoutMs: 10000 });
    expect(c.dependencies.find((d) => d.name === 'search-service')).toMatchObject({ target: null, timeoutMs: 15000 });
  });

  test('per-dependency overrides of path and timeout', () => {
    const c = loadSidecarConfig({ PRODUCT_SERVICE_URL: 'http://p', PROBE_PRODUCT_SERVICE_PATH: '/ping', PROBE_PRODUCT_SERVICE_TIMEOUT_MS: '1234' });
    expect(c.dependencies.find((d) => d.name === 'product-service')).toMatchObject({ target: 'http://p/ping', timeoutMs: 1234 });
  });
});

describe('probing', () => {
  test('peers: closed port is failed/connect, a hang past the timeout is timeout, a 500 is a warning', async () => {
    const hanging = await httpPeer(() => undefined);
    const broken = await httpPeer((_req, res) => res.writeHead(500).end('{}'));
    const healthy = await httpPeer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}'));
    const closed = await freePort();
    const started = Date.now();
    const sidecar = await startSidecar(
      loadSidecarConfig({
        ...base,
        USER_SERVICE_URL: `http://127.0.0.1:${closed}`,
        SEARCH_SERVICE_URL: hanging.url,
        PROBE_SEARCH_SERVICE_TIMEOUT_MS: '300',
        PRODUCT_SERVICE_URL: broken.url,
        CART_SERVICE_URL: healthy.url,
      }),
    );
    // the first round runs concurrently: about the slowest probe (300 ms), not the sum
    expect(Date.now() - started).toBeLessThan(1500);
    const d = sidecar.snapshot().dependencies;
    expect(d['user-service']).toMatchObject({ status: 'failed', reason: 'connect' });
    expect(d['search-service']).toMatchObject({ status: 'timeout', reason: 'timeout' });
    expect(d['product-service']).toMatchObject({ status: 'warning', reason: 'http_status', details: { http_status: 500 } });
    expect(d['cart-service']).toMatchObject({ status: 'connected', reason: null, platform: 'Heroku' });
    expect(d.redis).toMatchObject({ status: 'not_configured' });
    expect(JSON.stringify(sidecar.snapshot())).not.toContain('127.0.0.1'); // no URLs or hosts served
    await sidecar.stop();
    for (const p of [hanging, broken, healthy]) {
      p.server.closeAllConnections();
      p.server.close();
    }
  });

  test('a Redis taken down is failed within an interval and connected again when it returns', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'redis-'));
    const startRedis = async (): Promise<ChildProcess> => {
      const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      await until(async () => (await fetch(`http://127.0.0.1:${port}`).catch((e: { cause?: { code?: string } }) => e.cause?.code)) !== 'ECONNREFUSED');
      return p;
    };
    let redis = await startRedis();
    const sidecar = await startSidecar(loadSidecarConfig({ ...base, REDIS_URL: `redis://127.0.0.1:${port}` }));
    expect(sidecar.snapshot().dependencies.redis!.status).toBe('connected');
    redis.kill('SIGKILL');
    await until(() => sidecar.snapshot().dependencies.redis!.status === 'failed', 1500);
    expect(sidecar.snapshot().dependencies.redis!.reason).toBe('connect');
    expect(sidecar.snapshot().ready).toBe(false); // postgres is not configured here: never ready
    redis = await startRedis();
    await until(() => sidecar.snapshot().dependencies.redis!.status === 'connected', 1500);
    await sidecar.stop();
    const exited = once(redis, 'exit');
    redis.kill('SIGKILL');
    await exited; // its directory is free to remove
    rmSync(dir, { recursive: true, force: true });
  });

  test('PostgreSQL gates readiness with hysteresis: down after 3 failures, up after 2 successes', async () => {
    const db = `sidecar_test_${Date.now()}`;
    await admin(`CREATE DATABASE ${db}`);
    const url = new URL(PG);
    url.pathname = `/${db}`;
    const sidecar = await startSidecar(loadSidecarConfig({ ...base, DATABASE_URL: url.toString(), PROBE_INTERVAL_SECONDS: '0.1' }));
    expect(sidecar.snapshot()).toMatchObject({ ready: true, dependencies: { postgres: { status: 'connected', details: { database: db } } } });
    sidecar.scheduler.stop(); // drive the probes by hand from here
    await admin(`DROP DATABASE ${db} WITH (FORCE)`);
    await sidecar.scheduler.probeOne('postgres');
    await sidecar.scheduler.probeOne('postgres');
    expect(sidecar.snapshot().dependencies.postgres!.status).toBe('failed');
    expect(sidecar.snapshot().ready).toBe(true); // two failures: not yet
    await sidecar.scheduler.probeOne('postgres');
    expect(sidecar.snapshot().ready).toBe(false);
    await admin(`CREATE DATABASE ${db}`);
    await sidecar.scheduler.probeOne('postgres');
    expect(sidecar.snapshot().ready).toBe(false); // one success: not yet
    await sidecar.scheduler.probeOne('postgres');
    expect(sidecar.snapshot().ready).toBe(true);
    await sidecar.stop();
    await admin(`DROP DATABASE ${db} WITH (FORCE)`);
  });

  test('one probe at a time per dependency, however short the interval', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sidecar = await startSidecar(loadSidecarConfig({ ...base, CART_SERVICE_URL: 'http://cart.invalid', PROBE_INTERVAL_SECONDS: '0.01' }), {
      probe: async (dep) => {
        if (dep.name !== 'cart-service') return { status: 'not_configured', reason: null, responseTimeMs: null };
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(100);
        inFlight -= 1;
        return { status: 'connected', reason: null, responseTimeMs: 100 };
      },
    });
    sidecar.scheduler.probeOne('cart-service');
    sidecar.scheduler.probeOne('cart-service');
    await sleep(400);
    await sidecar.stop();
    expect(maxInFlight).toBe(1);
  });

  test('results older than three intervals are stale and never healthy', () => {
    const c = loadSidecarConfig({ DATABASE_URL: PG, PROBE_INTERVAL_SECONDS: '1' });
    const pgConfig = c.dependencies.find((d) => d.name === 'postgres')!;
    const probedAt = new Date('2026-01-01T00:00:00Z');
    const state = { config: pgConfig, outcome: { status: 'connected' as const, reason: null, responseTimeMs: 5 }, lastProbeAt: probedAt, lastSuccessAt: probedAt, consecutiveFailures: 0, consecutiveSuccesses: 5, healthy: true, inFlight: false };
    expect(buildSnapshot([state], 1, new Date(probedAt.getTime() + 2000))).toMatchObject({ ready: true, dependencies: { postgres: { stale: false } } });
    expect(buildSnapshot([state], 1, new Date(probedAt.getTime() + 3001))).toMatchObject({ ready: false, dependencies: { postgres: { stale: true } } });
  });
});

describe('serving', () => {
  test('/v1/results answers 304 to its own ETag, /healthz is ok, /metrics passes promtool check metrics', async () => {
    const sidecar = await startSidecar(loadSidecarConfig({ ...base, DATABASE_URL: PG, PROBE_INTERVAL_SECONDS: '60' }));
    const first = await fetch(`${sidecar.url}/v1/results`);
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(`${sidecar.url}/v1/results`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${sidecar.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${sidecar.url}/metrics`)).text();
    expect(metrics).toContain('orders_dependency_up{dependency="postgres",kind="database"} 1');
    expect(metrics).toContain('orders_dependency_probe_duration_seconds_bucket{le="20",dependency="postgres"} 1');
    expect(metrics).toMatch(/# HELP orders_dependency_up .*last interval probe/);
    expect(metrics).not.toMatch(/127\.0\.0\.1|postgres:\/\//);
    const metricsDir = mkdtempSync(join(tmpdir(), 'metrics-'));
    const file = join(metricsDir, 'sidecar.prom');
    writeFileSync(file, metrics);
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', `promtool check metrics < ${file}`]).catch((e: { stdout: string; stderr: string; code: number }) => {
      throw new Error(`promtool check metrics failed: ${e.stdout}${e.stderr}`);
    });
    expect(`${stdout}${stderr}`).not.toMatch(/error/i);
    rmSync(metricsDir, { recursive: true, force: true });
    await sidecar.stop();
  });
});

describe('pod condition', () => {
  const pod = { name: 'orders-abc', namespace: 'shop', uid: 'uid-123' };

  function kubeConfigFor(url: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'test' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return kc;
  }

  test('patched as a strategic merge with the UID, only when it changes, with an Event per transition', async () => {
    const api = await startKubeApi(pod);
    let up = true;
    const sidecar = await startSidecar(
      loadSidecarConfig({ ...base, DATABASE_URL: PG, CRITICAL_FAILURE_THRESHOLD: '1', CRITICAL_RECOVERY_THRESHOLD: '1', POD_NAME: pod.name, POD_NAMESPACE: pod.namespace, POD_UID: pod.uid, PROBE_INTERVAL_SECONDS: '60' }),
      {
        kube: kubeConfigFor(api.url),
        env: {},
        probe: async (dep) =>
          dep.name !== 'postgres' ? { status: 'not_configured', reason: null, responseTimeMs: null } : up ? { status: 'connected', reason: null, responseTimeMs: 1 } : { status: 'failed', reason: 'connect', responseTimeMs: 1 },
      },
    );
    await until(() => api.patches.length >= 1);
    expect(api.patches[0]!.contentType).toBe('application/strategic-merge-patch+json');
    expect(api.patches[0]!.body).toMatchObject({ metadata: { uid: pod.uid } });
    const gate = () => api.conditions.find((c) => c.type === 'orders.ecommerce.dev/dependencies-ready');
    expect(gate()).toMatchObject({ status: 'True', reason: 'DependenciesReady' });
    expect(api.conditions.find((c) => c.type === 'Ready')).toEqual({ type: 'Ready', status: 'False' }); // never touched
    await sidecar.scheduler.probeOne('postgres');
    await sidecar.scheduler.probeOne('postgres');
    expect(api.patches).toHaveLength(1); // no change, no patch
    up = false;
    await sidecar.scheduler.probeOne('postgres');
    await until(() => api.patches.length === 2);
    expect(gate()).toMatchObject({ status: 'False', reason: 'PostgresUnavailable' });
    await until(() => api.events.length === 1);
    expect(api.events[0]).toMatchObject({ reason: 'PostgresUnavailable', type: 'Warning', involvedObject: { kind: 'Pod', name: pod.name } });
    await sidecar.stop();
    await api.close();
  });

  test('a wrong UID is refused (409); 403 and 404 are counted, not fatal', async () => {
    const api = await startKubeApi(pod);
    const start = (uid: string) =>
      startSidecar(loadSidecarConfig({ ...base, DATABASE_URL: PG, POD_NAME: pod.name, POD_NAMESPACE: pod.namespace, POD_UID: uid, PROBE_INTERVAL_SECONDS: '60' }), {
        kube: kubeConfigFor(api.url),
        env: {},
      });
    const wrong = await start('someone-else');
    await until(() => api.patches.length === 1);
    expect(api.conditions.some((c) => c.type === 'orders.ecommerce.dev/dependencies-ready')).toBe(false);
    await until(async () => (await (await fetch(`${wrong.url}/metrics`)).text()).match(/orders_health_sidecar_condition_patches_total\{result="error"\} [1-9]/) !== null);
    await wrong.stop();
    for (const [mode, result] of [['forbidden', 'forbidden'], ['gone', 'not_found']] as const) {
      api.mode = mode;
      const s = await start(pod.uid);
      await until(async () => (await (await fetch(`${s.url}/metrics`)).text()).includes(`orders_health_sidecar_condition_patches_total{result="${result}"}`));
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      await s.stop();
    }
    await api.close();
  });

  test('outside a cluster the Kubernetes part is off', async () => {
    const s = await startSidecar(loadSidecarConfig({ ...base, DATABASE_URL: PG, POD_NAME: 'x', POD_NAMESPACE: 'y', PROBE_INTERVAL_SECONDS: '60' }), { env: {} });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).not.toMatch(/orders_health_sidecar_condition_patches_total\{/);
    await s.stop();
  });
});

describe('process', () => {
  test('SIGTERM stops the built sidecar promptly with exit 0', async () => {
    const child = spawn(process.execPath, [join(__dirname_(), '../dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', ...base, LOG_LEVEL: 'INFO', SIDECAR_PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => out.includes('health sidecar started'), 10_000);
    const started = Date.now();
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a port already in use stops start-up with its cause (EADDRINUSE and the port), exit 1', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as AddressInfo).port;
    const child = spawn(process.execPath, [join(__dirname_(), '../dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', ...base, LOG_LEVEL: 'INFO', SIDECAR_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = (await once(child, 'close')) as [number]; // 'close': stderr read to its end
    await new Promise((r) => taken.close(r));
    expect(code).toBe(1);
    expect(err).toContain(`health sidecar failed to start: EADDRINUSE: port ${port} on 127.0.0.1 is already in use`);
  });
});

describe('in its pod', () => {
  test('in a cluster (Kubernetes client loaded), under the chart\'s heap cap, the built sidecar stays within the chart\'s memory limit', async () => {
    const pod = { name: 'orders-mem', namespace: 'shop', uid: 'uid-mem' };
    const api = await startKubeApi(pod);
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-kube-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: test}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
    const { nodeOptions, env: chartEnv, limitMiB } = containerBudget('sidecar');
    const port = await freePort();
    const child = spawn(process.execPath, [join(__dirname_(), '../dist/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        ...base,
        ...chartEnv,
        NODE_OPTIONS: nodeOptions,
        SIDECAR_PORT: String(port),
        DATABASE_URL: PG,
        KUBECONFIG: kubeconfig,
        POD_NAME: pod.name,
        POD_NAMESPACE: pod.namespace,
        POD_UID: pod.uid,
      },
      stdio: 'ignore',
    });
    try {
      await until(() => api.patches.length >= 1, 15_000); // the client is loaded and has patched
      let peak = 0;
      // probes every 0.2 s, results and metrics read as Prometheus and the service would (harder)
      const end = Date.now() + 4000;
      while (Date.now() < end) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`http://127.0.0.1:${port}/${i % 2 ? 'metrics' : 'v1/results'}`).then((r) => r.arrayBuffer())));
        peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024);
      }
      expect(child.exitCode).toBeNull(); // the heap cap did not kill it
      expect(peak).toBeGreaterThan(50 * 1024 * 1024); // it did load the client (outside a cluster it stays near 60 MB)
      expect(peak).toBeLessThan(limitMiB * 1024 * 1024 * 0.85); // room to spare below the OOM killer
    } finally {
      child.kill('SIGKILL');
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

function __dirname_(): string {
  return join(process.cwd(), 'sidecar', 'test');
}
