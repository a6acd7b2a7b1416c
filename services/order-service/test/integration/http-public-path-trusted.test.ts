// The public prefix with the default TRUSTED_PROXIES (loopback and private ranges, where the test's
// requests come from) and no PUBLIC_PATH_PREFIX: a proxy's X-Forwarded-Prefix shapes Location, Link
// and the served document's first server; an unsafe one is ignored. Swagger UI behind a proxy that
// strips /order like the gateway: the page, its assets and the document it loads all resolve under it.
import { runInNewContext } from 'node:vm';
import { startRewriteProxy, type RewriteProxy } from '../support/rewrite-proxy.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let gateway: RewriteProxy;
let token: string;

beforeAll(async () => {
  svc = await startTestService();
  token = await svc.tokens.user(9601, 'prefix@example.test');
  // the platform gateway's rule, which sends no X-Forwarded-Prefix
  gateway = await startRewriteProxy({ target: svc.url, paths: ['/order(/|$)(.*)'], rewriteTarget: '/$2' });
});
afterAll(async () => {
  await gateway?.close();
  await svc?.stop();
});

const address = { address: '1 Main St', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' };

async function createOrder(headers: Record<string, string>): Promise<Response> {
  const res = await fetch(`${svc.url}/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ items: [{ product_id: svc.catalog.productIds[0], quantity: 1 }], shipping_address: address }),
  });
  expect(res.status).toBe(201);
  await res.text();
  return res;
}

describe('X-Forwarded-Prefix from a trusted proxy', () => {
  it('puts the prefix in front of Location', async () => {
    expect((await createOrder({ 'x-forwarded-prefix': '/order' })).headers.get('location')).toMatch(/^\/order\/orders\/\d+$/);
    expect((await createOrder({ 'x-forwarded-prefix': '/shop/order/' })).headers.get('location')).toMatch(/^\/shop\/order\/orders\/\d+$/);
    expect((await createOrder({})).headers.get('location')).toMatch(/^\/orders\/\d+$/);
  });

  it('ignores an unsafe prefix: another host, dot segments, several values, odd characters', async () => {
    for (const prefix of ['//evil.example', 'https://evil.example', '/../admin', '/order,/evil', '/a b', '/order?x=1']) {
      const location = (await createOrder({ 'x-forwarded-prefix': prefix })).headers.get('location');
      expect([prefix, location]).toEqual([prefix, expect.stringMatching(/^\/orders\/\d+$/)]);
    }
  });

  it('puts the prefix in front of every Link, on the storefront path and the canonical one', async () => {
    for (const path of ['/', '/orders']) {
      const res = await fetch(`${svc.url}${path}?page=1&size=1`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-prefix': '/order' } });
      expect(res.status).toBe(200);
      const links = res.headers.get('link')!.split(', ');
      expect(links.length).toBeGreaterThanOrEqual(2);
      for (const link of links) expect([path, link]).toEqual([path, expect.stringMatching(new RegExp(`^</order${path === '/' ? '/' : '/orders'}\\?page=\\d+&size=1>; rel="(first|prev|next|last)"$`))]);
    }
  });

  it('lists the prefix as the first server of /openapi.json, so "Try it out" goes through the gateway', async () => {
    const direct = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { servers: { url: string }[] };
    expect(direct.servers.map((s) => s.url)).toEqual(['/', '/order']);
    const prefixed = (await (await fetch(`${svc.url}/openapi.json`, { headers: { 'x-forwarded-prefix': '/order' } })).json()) as { servers: { url: string }[] };
    expect(prefixed.servers.map((s) => s.url)).toEqual(['/order', '/']);
    const other = (await (await fetch(`${svc.url}/openapi.json`, { headers: { 'x-forwarded-prefix': '/api/orders' } })).json()) as { servers: { url: string }[] };
    expect(other.servers.map((s) => s.url)).toEqual(['/api/orders', '/', '/order']);
  });
});

describe('Swagger UI under the prefix', () => {
  /** The page's stylesheets and scripts, resolved as a browser resolves them against the page's URL. */
  async function assetsOf(pageUrl: string): Promise<URL[]> {
    const page = await fetch(pageUrl, { redirect: 'manual' });
    expect([pageUrl, page.status]).toEqual([pageUrl, 200]);
    const html = await page.text();
    return [...html.matchAll(/<(?:link[^>]*\bhref|script[^>]*\bsrc)="([^"]+)"/g)].map((m) => new URL(m[1]!, pageUrl));
  }

  /** Runs the init script as the page would and returns the URL Swagger UI was told to load. */
  function specUrlOf(script: string, scriptUrl: URL): string {
    let options: { url?: string; spec?: unknown } = {};
    const window: { onload?: () => void; ui?: unknown } = {};
    const SwaggerUIBundle = Object.assign((o: typeof options) => (options = o), { presets: { apis: {} }, plugins: { DownloadUrl: {} } });
    runInNewContext(script, { window, document: { currentScript: { src: scriptUrl.href } }, URL, SwaggerUIBundle, SwaggerUIStandalonePreset: {} });
    window.onload!();
    expect(options.spec).toBeUndefined(); // loaded from the URL, not embedded
    return options.url!;
  }

  it.each(['/order/docs', '/order/docs/'])('%s: every asset loads through the gateway and the document comes from /order/openapi.json', async (page) => {
    const assets = await assetsOf(`${gateway.url}${page}`);
    const names = assets.map((u) => u.pathname);
    expect(names).toEqual(expect.arrayContaining(['/order/docs/swagger-ui.css', '/order/docs/swagger-ui-bundle.js', '/order/docs/swagger-ui-init.js']));
    for (const asset of assets) {
      expect(asset.pathname.startsWith('/order/docs/')).toBe(true);
      const res = await fetch(asset);
      expect([asset.pathname, res.status]).toEqual([asset.pathname, 200]);
      expect(res.headers.get('content-type')).toMatch(/text\/css|javascript|image\/png/);
      if (!asset.pathname.endsWith('/swagger-ui-init.js')) {
        await res.arrayBuffer();
        continue;
      }
      const specUrl = new URL(specUrlOf(await res.text(), asset));
      expect(specUrl.href).toBe(`${gateway.url}/order/openapi.json`);
      const doc = await fetch(specUrl);
      expect(doc.status).toBe(200);
      expect(((await doc.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    }
  });

  it('directly, without a prefix, the same page loads its document from /openapi.json', async () => {
    const init = (await assetsOf(`${svc.url}/docs`)).find((u) => u.pathname.endsWith('/swagger-ui-init.js'))!;
    expect(init.pathname).toBe('/docs/swagger-ui-init.js');
    expect(specUrlOf(await (await fetch(init)).text(), init)).toBe(`${svc.url}/openapi.json`);
  });
});
