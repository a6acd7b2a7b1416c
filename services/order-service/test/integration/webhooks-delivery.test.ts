// Signed webhooks end to end: order events from the outbox reach a real receiver that fails, hangs
// past the deadline and recovers; every event arrives (deduped by webhook-id), each signature
// verifies with the reference `standardwebhooks` package, an order's events arrive in order, a
// redirect is a failure, a rotated secret signs beside the new one during the overlap.
import { Webhook } from 'standardwebhooks';
import { startTestService, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let receiver: WebhookReceiver;
let admin: string;
let shopper: string;

beforeAll(async () => {
  svc = await startTestService({
    env: {
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', // the receiver listens on loopback
      WEBHOOKS_INTERVAL_MS: '50',
      WEBHOOKS_RETRY_BASE_MS: '50',
      WEBHOOKS_RETRY_MAX_SECONDS: '1',
      WEBHOOKS_TIMEOUT_MS: '400',
      WEBHOOKS_MAX_ATTEMPTS: '6',
    },
  });
  receiver = await startWebhookReceiver({ hangMs: 1500 });
  admin = await svc.tokens.admin();
  shopper = await svc.tokens.user(41);
}, 60_000);
afterAll(async () => {
  await receiver?.close();
  await svc?.stop();
});

type Json = Record<string, unknown>;
async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; json: Json & Json[] }> {
  const r = await fetch(`${svc.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : {} };
}

async function placeOrder(): Promise<number> {
  const r = await call('POST', '/orders', shopper, {
    items: [{ product_id: svc.catalog.productIds[0], quantity: 1 }],
    shipping_address: { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' },
  });
  expect(r.status).toBe(201);
  return Number(r.json.id);
}

async function deliveriesOf(endpointId: number): Promise<Json[]> {
  const r = await call('GET', `/admin/webhooks/${endpointId}/deliveries?limit=500`, admin);
  expect(r.status).toBe(200);
  expect(svc.validateResponse('listWebhookDeliveries', 200, r.json)).toEqual([]);
  return r.json;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const settled = (endpointId: number, count: number) =>
  waitFor(`${count} settled deliveries`, async () => {
    const list = await deliveriesOf(endpointId);
    return list.length === count && list.every((d) => d.state !== 'pending') ? list : undefined;
  });

test('every event reaches a receiver that fails, times out and recovers: retried, signed, each once in effect, in order per order', async () => {
  const created = await call('POST', '/admin/webhooks', admin, { url: `${receiver.url}/flaky`, event_types: ['order.created', 'order.status_changed', 'order.cancelled'] });
  expect(created.status).toBe(201);
  expect(svc.validateResponse('createWebhook', 201, created.json)).toEqual([]);
  const endpointId = Number(created.json.id);
  const secret = String(created.json.secret);
  expect(secret).toMatch(/^whsec_/);
  // two failures, a hang past the 400 ms deadline, another failure, then the receiver is fine
  receiver.plan(['fail', 'fail', 'hang', 'fail']);

  const orders = [await placeOrder(), await placeOrder(), await placeOrder()];
  for (const id of orders) expect((await call('PUT', `/admin/orders/${id}/status`, admin, { status: 'confirmed' })).status).toBe(200);
  expect((await call('DELETE', `/orders/${orders[0]}`, shopper)).status).toBe(200);

  const list = await settled(endpointId, 7); // 3 created, 3 status changes, 1 cancellation
  expect(list.map((d) => d.state)).toEqual(Array(7).fill('delivered'));
  expect(list.some((d) => Number(d.attempts) > 1)).toBe(true);
  expect(list.every((d) => typeof d.latency_ms === 'number' && Number(d.last_status) === 204)).toBe(true);

  // every event arrived; the receiver saw retries, but each webhook-id counts once
  const eventIds = new Set(list.map((d) => String(d.event_id)));
  expect(new Set(receiver.accepted('/flaky').keys())).toEqual(eventIds);
  const sent = receiver.requests.filter((r) => r.path === '/flaky');
  expect(sent.length).toBeGreaterThan(7);
  expect(sent.map((r) => r.answer)).toEqual(expect.arrayContaining(['fail', 'hang', 'ok']));
  expect(svc.logText()).toMatch(/"error_class":"timeout".*webhook delivery failed; will retry/);
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  expect(metrics).toMatch(/^orders_webhook_deliveries_total\{result="delivered"\} ([7-9]|\d\d+)$/m);
  expect(metrics).toMatch(/^orders_webhook_deliveries_total\{result="retry"\} [1-9]/m);
  const verifier = new Webhook(secret);
  for (const r of sent) {
    const event = verifier.verify(r.body, r.headers) as { type: string; data: { order_id?: number; id?: number } };
    expect(['order.created', 'order.status_changed', 'order.cancelled']).toContain(event.type);
  }

  // per order and endpoint, deliveries were delivered in the order the events were written
  for (const orderId of orders) {
    const mine = list.filter((d) => Number(d.order_id) === orderId).sort((a, b) => Number(a.id) - Number(b.id));
    const times = mine.map((d) => Date.parse(String(d.delivered_at)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(mine[0]!.event_type).toBe('order.created');
  }
  expect(svc.logText()).not.toContain(secret.slice(6));
  await call('DELETE', `/admin/webhooks/${endpointId}`, admin);
});

test('a redirect is a failure, not followed; after the last attempt the delivery is failed, and a replay sends it again', async () => {
  const created = await call('POST', '/admin/webhooks', admin, { url: `${receiver.url}/moved`, event_types: ['order.created'] });
  const endpointId = Number(created.json.id);
  receiver.plan([], 'redirect');
  await placeOrder();
  const [failed] = await settled(endpointId, 1);
  expect(failed).toMatchObject({ state: 'failed', attempts: 6, last_status: 302, last_error: 'redirect' });
  expect(receiver.requests.filter((r) => r.path === '/moved')).toHaveLength(6);

  receiver.plan([], 'ok');
  const replay = await call('POST', `/admin/webhooks/${endpointId}/deliveries/${failed!.id}/replay`, admin);
  expect(replay.status).toBe(202);
  expect(replay.json).toMatchObject({ state: 'pending', replay_of: failed!.id, event_id: failed!.event_id });
  const after = await settled(endpointId, 2);
  expect(after.find((d) => d.id === replay.json.id)).toMatchObject({ state: 'delivered', attempts: 1 });
  expect(receiver.accepted('/moved').has(String(failed!.event_id))).toBe(true);
  await call('DELETE', `/admin/webhooks/${endpointId}`, admin);
});

test('during a rotation overlap both the old and the new secret verify every delivery', async () => {
  receiver.plan([], 'ok');
  const created = await call('POST', '/admin/webhooks', admin, { url: `${receiver.url}/rotating`, event_types: ['order.created'] });
  const endpointId = Number(created.json.id);
  const oldSecret = String(created.json.secret);
  const rotated = await call('POST', `/admin/webhooks/${endpointId}/rotate-secret`, admin);
  expect(rotated.status).toBe(200);
  expect(svc.validateResponse('rotateWebhookSecret', 200, rotated.json)).toEqual([]);
  const newSecret = String(rotated.json.secret);
  expect(newSecret).not.toBe(oldSecret);
  expect(Date.parse(String(rotated.json.previous_secret_expires_at)) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);

  await placeOrder();
  const [delivery] = await settled(endpointId, 1);
  const request = receiver.accepted('/rotating').get(String(delivery!.event_id))!;
  expect(request.headers['webhook-signature']!.split(' ')).toHaveLength(2);
  expect(() => new Webhook(newSecret).verify(request.body, request.headers)).not.toThrow();
  expect(() => new Webhook(oldSecret).verify(request.body, request.headers)).not.toThrow();
  expect(() => new Webhook(`whsec_${Buffer.from('someone else entirely').toString('base64')}`).verify(request.body, request.headers)).toThrow();
  // the secret is answered at creation and rotation only
  expect(JSON.stringify((await call('GET', `/admin/webhooks/${endpointId}`, admin)).json)).not.toContain('whsec_');
  expect(JSON.stringify((await call('GET', '/admin/webhooks', admin)).json)).not.toContain('whsec_');
  await call('DELETE', `/admin/webhooks/${endpointId}`, admin);
});

test('a disabled endpoint gets no deliveries; changes are audited without the secret', async () => {
  const created = await call('POST', '/admin/webhooks', admin, { url: `${receiver.url}/off`, event_types: ['order.created'], enabled: false });
  const endpointId = Number(created.json.id);
  await placeOrder();
  expect(await deliveriesOf(endpointId)).toEqual([]);
  const patched = await call('PATCH', `/admin/webhooks/${endpointId}`, admin, { enabled: true, event_types: ['order.created', 'order.cancelled'] });
  expect(patched.status).toBe(200);
  expect(patched.json).toMatchObject({ enabled: true, event_types: ['order.created', 'order.cancelled'] });
  expect((await call('DELETE', `/admin/webhooks/${endpointId}`, admin)).status).toBe(204);
  expect((await call('GET', `/admin/webhooks/${endpointId}`, admin)).status).toBe(404);
  const audit = svc.logText().split('\n').filter((l) => l.includes('"audit":"webhook"') && l.includes(`"endpoint_id":${endpointId}`));
  expect(audit.map((l) => JSON.parse(l).action)).toEqual(['created', 'updated', 'deleted']);
  expect(audit.join('\n')).not.toContain(String(created.json.secret).slice(6));
});

test('the admin API refuses anonymous callers, shoppers and bad input with problem+json', async () => {
  expect((await call('GET', '/admin/webhooks', undefined)).status).toBe(401);
  const asShopper = await call('POST', '/admin/webhooks', shopper, { url: `${receiver.url}/x`, event_types: ['order.created'] });
  expect(asShopper.status).toBe(403);
  const badType = await fetch(`${svc.url}/admin/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${receiver.url}/x`, event_types: ['order.deleted'] }),
  });
  expect(badType.status).toBe(400);
  expect(badType.headers.get('content-type')).toContain('application/problem+json');
  for (const body of [{ url: 'ftp://example.com/x', event_types: ['order.created'] }, { url: 'not a url', event_types: ['order.created'] }, { url: `${receiver.url}/x`, event_types: [] }]) {
    expect([body, (await call('POST', '/admin/webhooks', admin, body)).status]).toEqual([body, 400]);
  }
  expect((await call('PATCH', '/admin/webhooks/999999', admin, { enabled: false })).status).toBe(404);
  expect((await call('POST', '/admin/webhooks/999999/rotate-secret', admin)).status).toBe(404);
  expect((await call('GET', '/admin/webhooks/999999/deliveries', admin)).status).toBe(404);
  expect((await call('POST', '/admin/webhooks/999999/deliveries/1/replay', admin)).status).toBe(404);
  expect((await call('GET', '/admin/webhooks/abc', admin)).status).toBe(400);
});
