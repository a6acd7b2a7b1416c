// The chart's Ingress as ingress-nginx reads it: each path a regex anchored at the start and matched
// case-insensitively, rewritten to /$2 with X-Forwarded-Prefix set. Only the public paths get through
// (every operation of the document except /metrics and the detailed /health/*), and there is no
// second CORS layer: no CORS or snippet annotation, so preflights reach the service.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { PRODUCTION_DEFAULT_ORIGINS } from '../../services/order-service/src/config.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const chart = join(repo, 'charts/order-service');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = Record<string, any>;

let helmRender: string;
beforeAll(() => {
  const script = [process.env.SHARED_TOOLS_DIR, join(repo, '../shared/tools'), '/work/shared/tools']
    .filter((d): d is string => !!d)
    .map((d) => join(d, 'helm-render/build.sh'))
    .find((c) => existsSync(c));
  if (!script) throw new Error('helm-render not found; set SHARED_TOOLS_DIR');
  helmRender = execFileSync(script, { encoding: 'utf8' }).trim().split('\n').pop()!;
}, 120_000);

function render(args: string[]): K8sObject[] {
  const text = execFileSync(helmRender, ['--release-name', 'orders', '--namespace', 'shop', ...args, chart], { encoding: 'utf8' });
  return parseAllDocuments(text, { uniqueKeys: true, strict: true })
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The service path a public path reaches through the Ingress, or null when no rule matches. */
function routeThrough(ingress: K8sObject, publicPath: string): string | null {
  const target = ingress.metadata.annotations['nginx.ingress.kubernetes.io/rewrite-target'] as string;
  for (const p of ingress.spec.rules[0].http.paths as K8sObject[]) {
    const match = new RegExp(`^${p.path as string}`, 'i').exec(publicPath);
    if (match) return target.replace(/\$(\d)/g, (_all, n: string) => match[Number(n)] ?? '');
  }
  return null;
}

const PRIVATE = ['/metrics', '/health/info', '/health/connectivity', '/health/postgres', '/health/redis', '/health/user-service', '/health/cart-service', '/health/product-service', '/health/search-service'];

const RENDERS: Record<string, string[]> = {
  'default values with the Ingress enabled': ['--set', 'ingress.enabled=true'],
  'every optional part on': ['--api-versions', 'monitoring.coreos.com/v1', '-f', join(repo, 'charts/test/values/all-optional.yaml')],
};

describe.each(Object.entries(RENDERS))('%s', (_name, args) => {
  let ingress: K8sObject;
  beforeAll(() => {
    ingress = render(args).find((o) => o.kind === 'Ingress')!;
  });

  test('strips /order and says so in X-Forwarded-Prefix; no CORS or snippet annotation (the service answers preflights)', () => {
    const annotations = ingress.metadata.annotations as Record<string, string>;
    expect(annotations).toEqual({
      'nginx.ingress.kubernetes.io/use-regex': 'true',
      'nginx.ingress.kubernetes.io/rewrite-target': '/$2',
      'nginx.ingress.kubernetes.io/x-forwarded-prefix': '/order',
    });
    expect(Object.keys(annotations).filter((k) => /cors|snippet/i.test(k))).toEqual([]);
    for (const p of ingress.spec.rules[0].http.paths as K8sObject[]) {
      expect(p).toMatchObject({ pathType: 'ImplementationSpecific', backend: { service: { name: 'orders-order-service', port: { name: 'http' } } } });
    }
  });

  test("every public operation of the document is reachable under /order, at the service's own path", () => {
    const doc = parse(readFileSync(join(repo, 'openapi/order-service.yaml'), 'utf8')) as { paths: Record<string, unknown> };
    const paths = Object.keys(doc.paths).map((p) => p.replace(/\{[^}]+\}/g, '42'));
    expect(paths).toEqual(expect.arrayContaining(PRIVATE));
    for (const path of paths.filter((p) => !PRIVATE.includes(p))) {
      expect([path, routeThrough(ingress, `/order${path}`)]).toEqual([path, path]);
    }
    const more: [string, string][] = [
      ['/order', '/'],
      ['/order/', '/'],
      ['/order/orders/', '/orders/'],
      ['/order/42/', '/42/'],
      ['/order/health/', '/health/'],
      ['/order/health/ready/', '/health/ready/'],
      ['/order/docs/', '/docs/'],
      ['/order/docs/swagger-ui.css', '/docs/swagger-ui.css'],
      ['/order/docs/swagger-ui-init.js', '/docs/swagger-ui-init.js'],
      ['/order/admin', '/admin'],
    ];
    for (const [from, to] of more) expect([from, routeThrough(ingress, from)]).toEqual([from, to]);
  });

  test('/metrics and the detailed /health/* are not reachable through it, in any spelling', () => {
    const refused = [
      ...PRIVATE.flatMap((p) => [`/order${p}`, `/order${p}/`, `/order${p.toUpperCase()}`]),
      '/order/metrics/x',
      '/order/health/livez',
      '/order/healthz',
      '/order/openapi.json/x',
      '/order/openapiXjson',
      '/order//metrics',
      '/order/12/metrics',
      '/orderx/orders',
      '/metrics',
      '/orders',
      '/health',
    ];
    for (const path of refused) expect([path, routeThrough(ingress, path)]).toEqual([path, null]);
  });
});

test('another pathPrefix is matched literally and becomes the X-Forwarded-Prefix', () => {
  const ingress = render(['--set', 'ingress.enabled=true', '--set', 'ingress.pathPrefix=/shop/orders.v2']).find((o) => o.kind === 'Ingress')!;
  expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/x-forwarded-prefix']).toBe('/shop/orders.v2');
  expect(routeThrough(ingress, '/shop/orders.v2/orders/7')).toBe('/orders/7');
  expect(routeThrough(ingress, '/shop/orders.v2')).toBe('/');
  expect(routeThrough(ingress, '/shop/ordersXv2/orders/7')).toBeNull();
  expect(routeThrough(ingress, '/order/orders/7')).toBeNull();
});

test("the default values: no Ingress, the storefront as the production CORS default (the service's own list) and /order as the public prefix", () => {
  const objects = render([]);
  expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
  const data = objects.find((o) => o.kind === 'ConfigMap' && o.data?.ENVIRONMENT)!.data as Record<string, string>;
  expect(data.ENVIRONMENT).toBe('production');
  expect(data.CORS_DEFAULT_ORIGINS!.split(',')).toEqual([...PRODUCTION_DEFAULT_ORIGINS]);
  expect(data.PUBLIC_PATH_PREFIX).toBe('/order');
});

test('values.schema.json refuses a bad prefix or origin list', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as K8sObject;
  const defaults = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as K8sObject;
  const validate = ajv.compile(schema);
  const withIngress = (pathPrefix: string) => ({ ...defaults, ingress: { ...defaults.ingress, pathPrefix } });
  const withConfig = (extra: Record<string, string>) => ({ ...defaults, config: { ...defaults.config, ...extra } });
  expect(validate(defaults)).toBe(true);
  expect(validate(withIngress('/shop/orders.v2'))).toBe(true);
  for (const bad of ['', 'order', '/order/', '/', '/..', '/a b', '/order(/.*)']) expect([bad, validate(withIngress(bad))]).toEqual([bad, false]);
  expect(validate(withConfig({ CORS_DEFAULT_ORIGINS: 'none', PUBLIC_PATH_PREFIX: '' }))).toBe(true);
  expect(validate(withConfig({ CORS_DEFAULT_ORIGINS: 'https://a.example, https://b.example:8443' }))).toBe(true);
  for (const bad of ['', 'storefront', 'https://a.example/app']) expect([bad, validate(withConfig({ CORS_DEFAULT_ORIGINS: bad }))]).toEqual([bad, false]);
  for (const bad of ['order', '/order/', '/..']) expect([bad, validate(withConfig({ PUBLIC_PATH_PREFIX: bad }))]).toEqual([bad, false]);
});
