// Every failed Kubernetes call says why in the sidecar's log: the HTTP status with the Status body's
// reason and message, or the client's error (refused, TLS), never the service-account token.
import { KubeConfig } from '@kubernetes/client-node';
import { createServer } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createPodCondition, kubeFailure } from '../src/kube.js';
import { createSidecarLogger } from '../src/log.js';
import { createSidecarMetrics } from '../src/metrics.js';
import { startKubeApi, type KubeApiStandIn } from './support/kube-api.js';
import { captureLogs } from './support/logs.js';

const pod = { name: 'orders-abc', namespace: 'shop', uid: 'uid-123' };
const TOKEN = 'sa-token-c2VjcmV0LXNlcnZpY2UtYWNjb3VudA';
const conditionType = 'orders.ecommerce.dev/dependencies-ready';
const ready = { ready: true, reason: 'DependenciesReady', message: 'ok' };
const notReady = { ready: false, reason: 'PostgresUnavailable', message: 'PostgreSQL probe: failed' };

// the stand-in speaks plain HTTP, which the client allows only with skipTLSVerify
function kubeConfigFor(server: string, skipTLSVerify = server.startsWith('http:')): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

async function conditionAgainst(server: string, uid = pod.uid, kubeConfig = kubeConfigFor(server)) {
  const logs = captureLogs();
  const log = createSidecarLogger({ level: 'info', version: 't', destination: logs.stream });
  const condition = await createPodCondition({ conditionType, podName: pod.name, namespace: pod.namespace, podUid: uid, kubeConfig }, { metrics: createSidecarMetrics('t'), log, env: {} });
  return { condition, logs, line: (msg: RegExp) => logs.lines().find((l) => msg.test(String(l.message ?? l.msg))) };
}

let api: KubeApiStandIn;
beforeEach(async () => {
  api = await startKubeApi(pod);
});
afterEach(async () => {
  await api.close();
});

test("a refused patch (409, wrong UID) logs the status, the API's reason and message", async () => {
  const { condition, line, logs } = await conditionAgainst(api.url, 'someone-else');
  await condition.sync(ready);
  expect(api.patches).toHaveLength(1);
  expect(line(/pod condition patch failed/)).toMatchObject({ status_code: 409, api_reason: 'Conflict', api_message: 'Precondition failed: UID in precondition' });
  expect(logs.text()).not.toContain(TOKEN);
});

test('403 logs its reason once (with the Role it needs); 404 once, as the pod going away', async () => {
  api.mode = 'forbidden';
  const forbidden = await conditionAgainst(api.url);
  await forbidden.condition.sync(ready);
  await forbidden.condition.sync(ready); // retried: not logged again
  expect(api.patches).toHaveLength(2);
  expect(forbidden.logs.lines().filter((l) => /RBAC/.test(String(l.message ?? l.msg)))).toEqual([
    expect.objectContaining({ status_code: 403, api_reason: 'Forbidden', needs: expect.stringContaining('patch pods/status') }),
  ]);
  api.mode = 'gone';
  const gone = await conditionAgainst(api.url);
  await gone.condition.sync(ready);
  await gone.condition.sync(ready);
  expect(gone.logs.lines().filter((l) => /not found/.test(String(l.message ?? l.msg)))).toEqual([expect.objectContaining({ status_code: 404, api_reason: 'NotFound' })]);
});

test("the client's own failures: refused connection and a TLS handshake that fails, by code and message, without the token", async () => {
  const closed = createServer().listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const refused = await conditionAgainst(`https://127.0.0.1:${port}`);
  await refused.condition.sync(ready);
  expect(refused.line(/pod condition patch failed/)).toMatchObject({ status_code: null, error_code: 'ECONNREFUSED', error: expect.stringContaining('ECONNREFUSED') });

  // https:// to the plain-HTTP stand-in: the handshake fails, as with a wrong TLS setting of the client
  const tls = await conditionAgainst(api.url.replace('http://', 'https://'));
  await tls.condition.sync(ready);
  const entry = tls.line(/pod condition patch failed/)!;
  expect(entry).toMatchObject({ status_code: null, error_code: expect.stringMatching(/SSL|EPROTO|TLS/), error: expect.any(String) });
  for (const l of [refused, tls]) expect(l.logs.text()).not.toContain(TOKEN);
});

test("a setting the client itself refuses (plain HTTP without skipTLSVerify) is logged with the client's message", async () => {
  const { condition, line } = await conditionAgainst(api.url, pod.uid, kubeConfigFor(api.url, false));
  await condition.sync(ready);
  expect(api.patches).toHaveLength(0);
  expect(line(/pod condition patch failed/)).toMatchObject({ status_code: null, error: expect.stringMatching(/HTTP protocol is not allowed/) });
});

test('an Event the API refuses is logged with its status and message, after a patch that went through', async () => {
  const { condition, line } = await conditionAgainst(api.url);
  await condition.sync(ready);
  api.eventsRefused = true;
  await condition.sync(notReady); // a transition: patched, then its Event
  expect(api.patches).toHaveLength(2);
  expect(line(/pod event not recorded/)).toMatchObject({ status_code: 403, api_reason: 'Forbidden', api_message: expect.stringContaining('cannot create resource "events"'), condition_reason: 'PostgresUnavailable' });
  expect(line(/pod condition patch failed/)).toBeUndefined();
});

test('kubeFailure reads a Status body given as text, clips it, and drops bearer tokens', () => {
  expect(kubeFailure({ code: 422, body: JSON.stringify({ kind: 'Status', reason: 'Invalid', message: 'bad condition' }) })).toEqual({ status_code: 422, api_reason: 'Invalid', api_message: 'bad condition' });
  expect(kubeFailure({ code: 500, body: 'upstream said Bearer abc.def.ghi' })).toEqual({ status_code: 500, api_message: 'upstream said Bearer [redacted]' });
  expect(kubeFailure(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND kubernetes.default.svc' } }))).toEqual({
    status_code: null,
    error_code: 'ENOTFOUND',
    error: 'getaddrinfo ENOTFOUND kubernetes.default.svc: fetch failed',
  });
  expect(kubeFailure({ code: 400, body: { message: 'x'.repeat(1000) } }).api_message).toHaveLength(300);
});
