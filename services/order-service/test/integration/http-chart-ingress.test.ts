// The storefront behind the chart's own Ingress with the chart's default values: the Ingress rendered
// by helm-render (paths, rewrite, X-Forwarded-Prefix) in front of the service started with the
// rendered ConfigMap's CORS and prefix settings in production. A browser's preflight from the
// storefront's origin is answered by the service, an order's Location resolves through the Ingress,
// and /metrics is not reachable.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { startRewriteProxy, type RewriteProxy } from '../support/rewrite-proxy.js';
import { startTestService, type TestService } from '../support/service.js';

const STOREFRONT = 'https://ecommerce-microservices-platform.vercel.app';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = Record<string, any>;

function renderChart(args: string[]): K8sObject[] {
  const script = [process.env.SHARED_TOOLS_DIR, join(repo, '../shared/tools'), '/work/shared/tools']
    .filter((d): d is string => !!d)
    .map((d) => join(d, 'helm-render/build.sh'))
    .find((c) => existsSync(c));
  if (!script) throw new Error('helm-render not found; set SHARED_TOOLS_DIR');
  const bin = execFileSync(script, { encoding: 'utf8' }).trim().split('\n').pop()!;
  const text = execFileSync(bin, ['--release-name', 'orders', '--namespace', 'shop', ...args, join(repo, 'charts/order-service')], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
}

let svc: TestService;
let ingress: RewriteProxy;

beforeAll(async () => {
  const objects = renderChart(['--set', 'ingress.enabled=true']);
  const rule = objects.find((o) => o.kind === 'Ingress')!;
  const data = objects.find((o) => o.kind === 'ConfigMap' && o.data?.ENVIRONMENT)!.data as Record<string, string>;
  const annotations = rule.metadata.annotations as Record<string, string>;
  svc = await startTestService({ env: { ENVIRONMENT: data.ENVIRONMENT!, CORS_DEFAULT_ORIGINS: data.CORS_DEFAULT_ORIGINS!, PUBLIC_PATH_PREFIX: data.PUBLIC_PATH_PREFIX! } });
  ingress = await startRewriteProxy({
    target: svc.url,
    paths: (rule.spec.rules[0].http.paths as K8sObject[]).map((p) => p.path as string),
    rewriteTarget: annotations['nginx.ingress.kubernetes.io/rewrite-target']!,
    setHeaders: { 'x-forwarded-prefix': annotations['nginx.ingress.kubernetes.io/x-forwarded-prefix']! },
  });
}, 120_000);
afterAll(async () => {
  await ingress?.close();
  await svc?.stop();
});

it("answers the storefront's preflight through the Ingress, then its order with readable Location under /order", async () => {
  const preflight = await fetch(`${ingress.url}/order/`, {
    method: 'OPTIONS',
    headers: { origin: STOREFRONT, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
  expect(preflight.headers.get('access-control-allow-headers')!.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));

  const token = await svc.tokens.user(9801, 'ingress@example.test');
  const created = await fetch(`${ingress.url}/order/`, {
    method: 'POST',
    headers: { origin: STOREFRONT, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      items: [{ product_id: svc.catalog.productIds[0], quantity: 1 }],
      shipping_address: { address: '1 Main St', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' },
    }),
  });
  expect(created.status).toBe(201);
  expect(created.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
  expect(created.headers.get('access-control-expose-headers')!.split(',')).toEqual(expect.arrayContaining(['Location', 'ETag']));
  const location = created.headers.get('location')!;
  expect(location).toMatch(/^\/order\/orders\/\d+$/);
  const order = await fetch(new URL(location, ingress.url), { headers: { authorization: `Bearer ${token}` } });
  expect(order.status).toBe(200);
  await order.text();
});

it('keeps /metrics and /health/info inside the cluster; /health, /docs and the document get through', async () => {
  for (const path of ['/order/metrics', '/order/health/info', '/order/health/connectivity']) {
    const res = await fetch(`${ingress.url}${path}`);
    expect([path, res.status, res.headers.get('x-request-id')]).toEqual([path, 404, null]); // the Ingress's own 404, not the service's
    await res.text();
  }
  for (const path of ['/order/health', '/order/health/live', '/order/docs', '/order/openapi.json']) {
    const res = await fetch(`${ingress.url}${path}`);
    expect([path, res.status]).toEqual([path, 200]);
    await res.text();
  }
});
