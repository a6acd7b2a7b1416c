// Gateway-facing behaviour: no redirect on any path, X-Request-ID accepted or minted and echoed,
// the document at /openapi.json, Swagger UI at /docs, metrics by route template,
// and the contract test: every operation has a handler and every handler an operation.
import { createHealthHandlers } from '../../src/health/handlers.js';
import { createHealthReader } from '../../src/health/reader.js';
import { createApp } from '../../src/app.js';
import { createApi, listOperations, loadApiDocument, resolveHandlers } from '../../src/http/api.js';
import { createOrderHandlers } from '../../src/http/order-handlers.js';
import { createStatsHandlers } from '../../src/http/stats-handlers.js';
import { createWebhookHandlers } from '../../src/http/webhook-handlers.js';
import { createServiceMetrics } from '../../src/http/metrics.js';
import { serviceHandlers } from '../../src/http/service-handlers.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let shopper: string;
let admin: string;

beforeAll(async () => {
  svc = await startTestService();
  shopper = await svc.tokens.user(9201);
  admin = await svc.tokens.admin();
});
afterAll(async () => {
  await svc?.stop();
});

describe('no redirects', () => {
  it.each([
    ['GET', '/', undefined],
    ['GET', '/', 'shopper'],
    ['GET', '/admin/orders', 'admin'],
    ['GET', '/admin/orders/', 'admin'],
    ['GET', '/admin/stats', 'admin'],
    ['GET', '/admin/stats/', 'admin'],
    ['GET', '/orders/', 'shopper'],
    ['GET', '/health/', undefined],
    ['GET', '/docs', undefined],
    ['GET', '/docs/', undefined],
    ['GET', '/1', 'shopper'],
    ['GET', '/1/', 'shopper'],
    ['PUT', '/1', 'admin'],
  ])('%s %s answers without a redirect', async (method, path, who) => {
    const token = who === 'admin' ? admin : who === 'shopper' ? shopper : undefined;
    const res = await fetch(`${svc.url}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: method === 'PUT' ? JSON.stringify({ status: 'confirmed' }) : undefined,
    });
    expect(res.status < 300 || res.status >= 400).toBe(true);
    expect(res.headers.get('location')).toBeNull();
  });

  it('a trailing slash reaches the same operation', async () => {
    const res = await fetch(`${svc.url}/admin/orders/`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
  });
});

describe('request ids', () => {
  it('echoes a sane X-Request-ID from the gateway, in the header and in problems', async () => {
    const res = await fetch(`${svc.url}/orders`, { headers: { 'x-request-id': 'gw-1234.abcd' } });
    expect(res.headers.get('x-request-id')).toBe('gw-1234.abcd');
    expect(((await res.json()) as { request_id: string }).request_id).toBe('gw-1234.abcd');
  });

  it('mints a UUID when none (or an unsafe one) is given', async () => {
    const plain = await fetch(`${svc.url}/health`);
    expect(plain.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await fetch(`${svc.url}/health`, { headers: { 'x-request-id': 'x'.repeat(300) } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('documentation and metrics', () => {
  it('serves the OpenAPI document as JSON', async () => {
    const res = await fetch(`${svc.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/orders', '/', '/{order_id}', '/admin/stats']));
  });

  it('serves Swagger UI at /docs with assets that resolve below /docs/', async () => {
    const page = await fetch(`${svc.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    const css = /href="(docs\/swagger-ui\.css)"/.exec(html);
    expect(css).not.toBeNull();
    const asset = await fetch(new URL(css![1]!, `${svc.url}/docs`));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/text\/css/);
  });

  it('labels request metrics with the route template, never the raw URL', async () => {
    const res = await fetch(`${svc.url}/orders/123456`, { headers: { authorization: `Bearer ${shopper}` } });
    expect(res.status).toBe(404);
    await res.text(); // the request is counted once its response has been written
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(/orders_http_requests_total\{method="GET",route="\/orders\/\{order_id\}",status="404"\} \d+/);
    expect(text).not.toContain('123456');
    expect(text).toContain('orders_http_request_duration_seconds_bucket');
    expect(text).toContain('orders_created_total');
    expect(text).toContain('orders_status_transitions_total');
    expect(text).toContain('orders_cache_requests_total');
  });
});

describe('contract: the document and the handlers agree', () => {
  const document = loadApiDocument();
  const handlers = {
    ...serviceHandlers({ document, metrics: createServiceMetrics({ defaultMetrics: false }), service: { name: 't', version: '0' } }),
    ...createOrderHandlers({ orders: {} as never, metrics: createServiceMetrics({ defaultMetrics: false }), service: { name: 't', version: '0' } }),
    ...createStatsHandlers({}),
    ...createWebhookHandlers({}),
    ...createHealthHandlers({
      reader: createHealthReader({ sidecarUrl: 'http://127.0.0.1:9' }),
      service: { name: 't', version: '0', environment: 'test', platform: 'local' },
      state: { ready: true, shuttingDown: false, migrationsApplied: true },
      details: 'never',
      describeConfig: () => ({}),
    }),
  };

  it('every operation has a handler and every handler an operation', () => {
    const operationIds = listOperations(document).map((op) => op.operationId);
    const resolved = resolveHandlers(document, handlers);
    expect(Object.keys(resolved).sort()).toEqual([...operationIds].sort());
    for (const id of Object.keys(handlers)) expect(operationIds).toContain(id);
  });

  it('every operation has a unique operationId and every twin names a canonical operation with the same method', () => {
    const operations = listOperations(document);
    expect(new Set(operations.map((o) => o.operationId)).size).toBe(operations.length);
    for (const twin of operations.filter((o) => o.twinOf)) {
      const canonical = operations.find((o) => o.operationId === twin.twinOf);
      expect(canonical).toBeDefined();
      expect(canonical!.method).toBe(twin.method);
      expect(twin.requiredRole).toBe(canonical!.requiredRole);
    }
  });

  it('the storefront paths of CONTRACTS.md §3 are all in the document', () => {
    const routes = listOperations(document).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(routes).toEqual(
      expect.arrayContaining(['POST /', 'GET /', 'GET /{order_id}', 'PUT /{order_id}', 'GET /admin', 'GET /admin/stats', 'GET /admin/orders', 'GET /health']),
    );
  });

  it('createApp refuses a handler for an operation the document does not have', async () => {
    await expect(
      createApp({
        config: svc.config,
        orders: {} as never,
        log: svc.log,
        health: { handlers: { getHealthOfTheMoon: () => undefined } },
      }),
    ).rejects.toThrow(/getHealthOfTheMoon/);
  });

  it('createApp refuses a document operation without a handler', async () => {
    const extended = structuredClone(document);
    (extended.paths as Record<string, unknown>)['/health/moon'] = {
      get: { operationId: 'getMoonHealth', security: [], responses: { '200': { description: 'ok' } } },
    };
    await expect(createApp({ config: svc.config, orders: {} as never, log: svc.log, document: extended })).rejects.toThrow(/getMoonHealth/);
  });
});

describe("openapi-backend's request parsing, done once where the library repeats it", () => {
  const document = loadApiDocument();
  const noop = () => undefined;
  const handlers = Object.fromEntries(listOperations(document).map((op) => [op.operationId, noop]));

  it('parses every kind of request exactly as the library does', async () => {
    const { OpenAPIRouter } = await import('openapi-backend');
    const api = await createApi(document, handlers);
    const library = (req: Parameters<typeof api.router.parseRequest>[0], op?: Parameters<typeof api.router.parseRequest>[1]) =>
      OpenAPIRouter.prototype.parseRequest.call(api.router, req, op);
    const requests: Array<Parameters<typeof api.router.parseRequest>[0]> = [
      { method: 'GET', path: '/orders/42', headers: { authorization: 'Bearer x', 'x-request-id': 'abc' }, query: {} },
      { method: 'get', path: '/orders/42/', headers: {}, query: {} },
      { method: 'GET', path: '/orders', headers: { cookie: 'a=1; b=two%20words' }, query: { page: '2', size: '20', status: ['pending', 'shipped'] } },
      { method: 'GET', path: '/admin/orders/stats', headers: {}, query: { from: '2026-01-01', to: '2026-02-01' } },
      { method: 'PUT', path: '/orders/7', headers: { 'content-type': 'application/json' }, query: {}, body: { status: 'confirmed' } },
      { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, query: {}, body: { items: [{ product_id: 1, quantity: 2 }] } },
      { method: 'PATCH', path: '/orders/%31%32/status', headers: {}, query: {}, body: { status: 'shipped' } },
      { method: 'GET', path: '/orders/a%20b', headers: {}, query: { constructor: 'x', toString: ['a', 'b'] } },
      { method: 'GET', path: '/health/connectivity', headers: {}, query: {} },
      { method: 'POST', path: '/orders', headers: {}, query: {}, body: '{"items":[]}' },
    ];
    let compared = 0;
    for (const req of requests) {
      const untouched = { ...req }; // the lean parser keeps its per-request part on the request object
      expect(api.router.parseRequest(req)).toEqual(library(untouched));
      const op = api.router.matchOperation(req);
      if (!op) continue;
      expect(api.router.parseRequest(req, op)).toEqual(library(untouched, op));
      expect(api.router.parseRequest(req, op)).toEqual(library(untouched, op)); // and again, from what it kept
      compared += 1;
    }
    expect(compared).toBeGreaterThanOrEqual(8);
    // a malformed escape in a path parameter fails the same way (the error handler answers 400)
    const bad = { method: 'GET', path: '/orders/%E0', headers: {}, query: {} };
    const op = api.router.matchOperation(bad)!;
    expect(() => library(bad, op)).toThrow(URIError);
    expect(() => api.router.parseRequest(bad, op)).toThrow(URIError);
  });

  it('a query value the parser gives back is a copy, not the request\'s own', async () => {
    const api = await createApi(document, handlers);
    const query = { status: ['pending'] };
    const req = { method: 'GET', path: '/orders', headers: {}, query };
    const parsed = api.router.parseRequest(req, api.router.matchOperation(req)!);
    (parsed.query.status as string[]).push('shipped');
    expect(query.status).toEqual(['pending']);
  });
});
