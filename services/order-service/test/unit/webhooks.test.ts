// The pure parts of webhooks: our signature equals the reference implementation's, the address
// rules of the SSRF guard, and the backoff's bounds.
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signatureHeader, signWebhook } from '../../src/domain/webhook-signature.js';
import { retryDelaySeconds } from '../../src/webhooks/delivery-worker.js';
import { isForbiddenAddress, urlProblem } from '../../src/webhooks/target-guard.js';

test('a signature equals the one the standardwebhooks package makes, and it verifies', () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ type: 'order.created', timestamp: '2026-12-01T12:00:00.000Z', data: { order_id: 1 } });
  const now = new Date();
  const ts = Math.floor(now.getTime() / 1000);
  expect(signWebhook(secret, 'msg_1', ts, body)).toBe(new Webhook(secret).sign('msg_1', now, body));
  const other = newWebhookSecret();
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader([other, secret], 'msg_1', ts, body) };
  expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  expect(() => new Webhook(other).verify(body, headers)).not.toThrow();
  expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
});

test.each([
  '127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1',
  '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1',
])('%s is a forbidden target', (address) => {
  expect(isForbiddenAddress(address)).toBe(true);
});

test.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111'])('%s is a public address', (address) => {
  expect(isForbiddenAddress(address)).toBe(false);
});

test('URLs: https only unless http is allowed; literal private addresses and localhost refused unless allowed', () => {
  const strict = { allowPrivateTargets: false, allowHttp: false };
  expect(urlProblem('https://hooks.example.com/x', strict)).toBeNull();
  expect(urlProblem('http://hooks.example.com/x', strict)).toMatch(/https/);
  expect(urlProblem('https://user:pw@hooks.example.com/x', strict)).toMatch(/credentials/);
  for (const url of ['https://127.0.0.1/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://localhost:8443/', 'https://10.0.0.8/', 'https://[fe80::1]/']) {
    expect([url, urlProblem(url, strict)]).toEqual([url, expect.stringMatching(/loopback, private/)]);
  }
  expect(urlProblem('http://127.0.0.1:9/x', { allowPrivateTargets: true, allowHttp: true })).toBeNull();
});

test('the backoff doubles from the base, stays under the cap and keeps at least half of each step (jitter)', () => {
  expect(retryDelaySeconds(1, 10_000, 3600, () => 1)).toBe(10);
  expect(retryDelaySeconds(3, 10_000, 3600, () => 1)).toBe(40);
  expect(retryDelaySeconds(3, 10_000, 3600, () => 0)).toBe(20);
  expect(retryDelaySeconds(20, 10_000, 3600, () => 1)).toBe(3600);
});
