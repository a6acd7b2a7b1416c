// The public prefix from PUBLIC_PATH_PREFIX (the platform's gateway sends no X-Forwarded-Prefix), with
// TRUSTED_PROXIES naming a range the test's loopback requests are not in: their X-Forwarded-Prefix is
// a client's own header and is ignored, so nobody can choose where our Location points.
import { startRewriteProxy, type RewriteProxy } from '../support/rewrite-proxy.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let gateway: RewriteProxy;
let token: string;

beforeAll(async () => {
  svc = await startTestService({ env: { PUBLIC_PATH_PREFIX: '/order', TRUSTED_PROXIES: '10.0.0.0/8' } });
  token = await svc.tokens.user(9701, 'configured@example.test');
  gateway = await startRewriteProxy({ target: svc.url, paths: ['/order(/|$)(.*)'], rewriteTarget: '/$2' });
});
afterAll(async () => {
  await gateway?.close();
  await svc?.stop();
});

const address = { address: '1 Main St', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' };

async function createOrder(base: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${base}/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ items: [{ product_id: svc.catalog.productIds[0], quantity: 1 }], shipping_address: address }),
  });
  expect(res.status).toBe(201);
  await res.text();
  return res;
}

it("a storefront order through the gateway (no X-Forwarded-Prefix) gets a Location under /order that resolves through the gateway", async () => {
  const res = await createOrder(`${gateway.url}/order`);
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^\/order\/orders\/\d+$/);
  const order = await fetch(new URL(location, gateway.url), { headers: { authorization: `Bearer ${token}` } });
  expect(order.status).toBe(200);
  expect(((await order.json()) as { id: number }).id).toBe(Number(location.split('/').pop()));
});

it('Link carries the configured prefix', async () => {
  const res = await fetch(`${gateway.url}/order/?page=1&size=1`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  for (const link of res.headers.get('link')!.split(', ')) expect(link).toMatch(/^<\/order\/\?page=\d+&size=1>; rel="\w+"$/);
});

it('X-Forwarded-Prefix from an untrusted peer is ignored: the configured prefix stays', async () => {
  for (const prefix of ['/evil', '/', '/shop/order']) {
    expect((await createOrder(svc.url, { 'x-forwarded-prefix': prefix })).headers.get('location')).toMatch(/^\/order\/orders\/\d+$/);
  }
  const doc = (await (await fetch(`${svc.url}/openapi.json`, { headers: { 'x-forwarded-prefix': '/evil' } })).json()) as { servers: { url: string }[] };
  expect(doc.servers[0]!.url).toBe('/order');
});
