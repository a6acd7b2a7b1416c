// Gateway-facing behaviour: no redirect on any path, X-Request-ID accepted or minted and echoed,
// the document at /openapi.json, Swagger UI at /docs, metrics by route template,
// and the contract test: every operation has a handler and every handler an operation.
import { createHealthHandlers } from '../../src/health/handlers.js';
import { createHealthReader } from '../../src/health/reader.js';
import { createApp } from '../../src/app.js';
import { listOperations, loadApiDocument, resolveHandlers } from '../../src/http/api.js';
import { createOrderHandlers } from '../../src/http/order-handlers.js';
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
      expect.arrayContaining(['POST /', 'GET /', 'GET /{order_id}', 'PUT /{order_id}', 'GET /admin/stats', 'GET /admin/orders', 'GET /health']),
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
