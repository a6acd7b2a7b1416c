// Peer health that means something (CONTRACTS.md §5): the user service probed at {USER}/health both
// in-cluster and through a gateway like the platform's (/user(/|$)(.*) → /$2), a gateway's
// 502/503/504 failed, a 200 whose body says degraded / DOWN / unhealthy a warning. The peers are
// the order service's stand-ins over real sockets.
import { createServer, request, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadSidecarConfig } from '../src/config.js';
import { startSidecar } from '../src/main.js';
import { startStandIns, startUserStandIn, type StandIns } from '../../services/order-service/test/support/stand-ins/index.js';

const SECRET = 'sidecar-peer-health-secret-0123456789';

const base = { SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: '0', LOG_LEVEL: 'ERROR', PROBE_INTERVAL_SECONDS: '60' };

interface Gateway {
  url: string;
  /** answer this status itself instead of forwarding (what nginx says for a pod it cannot use) */
  answer: number | null;
  close(): Promise<void>;
}

/** nginx in front of the user service: /user/… rewritten to /…; 502 when the upstream refuses. */
async function startGateway(upstream: string): Promise<Gateway> {
  const target = new URL(upstream);
  const state: { answer: number | null } = { answer: null };
  const server: Server = createServer((req, res) => {
    const match = /^\/user(\/|$)(.*)/.exec(req.url ?? '/');
    if (!match) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>404 Not Found</html>');
    if (state.answer !== null) return void res.writeHead(state.answer, { 'content-type': 'text/html' }).end(`<html>${state.answer}</html>`);
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: `/${match[2]}`, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>'));
    req.pipe(up);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/user`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  }) as Gateway;
}

/** One probe round of a fresh sidecar: the user service's result. */
async function probeUserService(url: string) {
  const sidecar = await startSidecar(loadSidecarConfig({ ...base, USER_SERVICE_URL: url }));
  try {
    return sidecar.snapshot().dependencies['user-service']!;
  } finally {
    await sidecar.stop();
  }
}

let peers: StandIns;
beforeAll(async () => {
  peers = await startStandIns({ secretKey: SECRET });
});
afterAll(async () => {
  await peers.close();
});
afterEach(() => {
  peers.user.setHealth('healthy');
  peers.cart.setHealth('UP');
  peers.product.setHealth('healthy');
  peers.search.setHealth('healthy');
});

test('the user service is probed at {USER_SERVICE_URL}/health, in-cluster and behind the gateway', async () => {
  const inCluster = loadSidecarConfig({ USER_SERVICE_URL: 'http://user-service:9090' });
  expect(inCluster.dependencies.find((d) => d.name === 'user-service')!.target).toBe('http://user-service:9090/health');
  const gateway = loadSidecarConfig({ USER_SERVICE_URL: 'https://gw.example/user/' });
  expect(gateway.dependencies.find((d) => d.name === 'user-service')!.target).toBe('https://gw.example/user/health');

  const before = peers.user.requests.get('GET /health') ?? 0;
  expect(await probeUserService(peers.user.url)).toMatchObject({ status: 'connected', reason: null });
  expect(peers.user.requests.get('GET /health')).toBe(before + 1);
  expect(peers.user.requests.get('GET /user/health')).toBeUndefined();
});

test('through the gateway: connected while the user service is up; the gateway\'s 502, 503 and 504 are failed', async () => {
  const gw = await startGateway(peers.user.url);
  try {
    expect(await probeUserService(gw.url)).toMatchObject({ status: 'connected', details: { http_status: 200 } });
    for (const code of [502, 503, 504]) {
      gw.answer = code;
      expect(await probeUserService(gw.url)).toMatchObject({ status: 'failed', reason: 'http_status', details: { http_status: code } });
    }
    gw.answer = 404; // the gateway answers, the path is wrong: reachable, so a warning
    expect(await probeUserService(gw.url)).toMatchObject({ status: 'warning', reason: 'http_status' });
  } finally {
    await gw.close();
  }
});

test('a user service that is gone behind the gateway is failed (its 502), not a warning', async () => {
  const doomed = await startUserStandIn({ secretKey: SECRET });
  const gw = await startGateway(doomed.url);
  try {
    expect((await probeUserService(gw.url)).status).toBe('connected');
    await doomed.close();
    expect(await probeUserService(gw.url)).toMatchObject({ status: 'failed', reason: 'http_status', details: { http_status: 502 } });
  } finally {
    await gw.close();
  }
});

test('a 200 whose body says degraded, DOWN or unhealthy is a warning, in each platform\'s words', async () => {
  const gw = await startGateway(peers.user.url);
  try {
    peers.user.setHealth('degraded');
    peers.cart.setHealth('DOWN');
    peers.product.setHealth('unhealthy');
    const sidecar = await startSidecar(
      loadSidecarConfig({ ...base, USER_SERVICE_URL: gw.url, CART_SERVICE_URL: peers.cart.url, PRODUCT_SERVICE_URL: peers.product.url, SEARCH_SERVICE_URL: peers.search.url }),
    );
    const d = sidecar.snapshot().dependencies;
    await sidecar.stop();
    expect(d['user-service']).toMatchObject({ status: 'warning', reason: 'degraded', details: { http_status: 200, health_status: 'degraded' } });
    expect(d['cart-service']).toMatchObject({ status: 'warning', reason: 'degraded', details: { health_status: 'DOWN' } });
    expect(d['product-service']).toMatchObject({ status: 'warning', reason: 'degraded', details: { health_status: 'unhealthy' } });
    expect(d['search-service']).toMatchObject({ status: 'connected', reason: null }); // "healthy" is its word for fine
  } finally {
    await gw.close();
  }
});
