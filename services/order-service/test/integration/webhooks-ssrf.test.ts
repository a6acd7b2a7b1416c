// SSRF with WEBHOOKS_ALLOW_PRIVATE_TARGETS off (the default): endpoints on loopback, private,
// link-local, metadata and unspecified addresses are refused at registration, and at delivery a
// name that resolves to one is refused on the socket itself, so the receiver sees nothing.
import { postWebhook } from '../../src/webhooks/delivery-worker.js';
import { startTestService, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let receiver: WebhookReceiver;
let admin: string;

beforeAll(async () => {
  svc = await startTestService({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'false' } });
  receiver = await startWebhookReceiver();
  admin = await svc.tokens.admin();
}, 60_000);
afterAll(async () => {
  await receiver?.close();
  await svc?.stop();
});

test.each([
  'http://127.0.0.1:8081/hooks', 'http://localhost/hooks', 'http://[::1]/hooks', 'http://10.0.0.5/hooks', 'http://192.168.0.10/hooks',
  'http://172.20.0.1/hooks', 'http://169.254.169.254/latest/meta-data', 'http://0.0.0.0/hooks', 'http://[fd00::1]/hooks', 'http://[fe80::1]/hooks',
  'http://[::ffff:127.0.0.1]/hooks',
])('registering %s is refused with a problem naming the url', async (url) => {
  const r = await fetch(`${svc.url}/admin/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, event_types: ['order.created'] }),
  });
  expect(r.status).toBe(400);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(((await r.json()) as { errors: Array<{ field: string }> }).errors).toEqual([expect.objectContaining({ field: 'url' })]);
});

test('changing an endpoint to a private address is refused as well', async () => {
  const created = await fetch(`${svc.url}/admin/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'https://hooks.example.com/orders', event_types: ['order.created'] }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: number };
  const r = await fetch(`${svc.url}/admin/webhooks/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'http://127.0.0.1:6379/' }),
  });
  expect(r.status).toBe(400);
});

test('at delivery time a name that resolves to loopback is refused after resolution; nothing reaches the receiver', async () => {
  const port = new URL(receiver.url).port;
  const policy = { allowPrivateTargets: false, allowHttp: true };
  // a public-looking name that a (rebinding) resolver answers with 127.0.0.1
  const rebinding = (_host: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
  const refused = await postWebhook(`http://hooks.example.com:${port}/rebound`, {}, '{}', { policy, timeoutMs: 2000, resolve: rebinding });
  expect(refused).toMatchObject({ status: null, error: 'forbidden_target' });
  const literal = await postWebhook(`${receiver.url}/literal`, {}, '{}', { policy, timeoutMs: 2000 });
  expect(literal).toMatchObject({ status: null, error: 'forbidden_target' });
  expect(receiver.requests).toHaveLength(0);
  // the same request with private targets allowed reaches it
  const allowed = await postWebhook(`http://hooks.example.com:${port}/rebound`, { 'webhook-id': 'x' }, '{}', { policy: { ...policy, allowPrivateTargets: true }, timeoutMs: 2000, resolve: rebinding });
  expect(allowed).toMatchObject({ status: 204, error: null });
  expect(receiver.requests.map((r) => r.path)).toEqual(['/rebound']);
});
