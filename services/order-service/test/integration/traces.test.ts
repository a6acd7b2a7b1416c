// Traces across the platform, against the built service as a real process: a checkout that comes
// in with the gateway's traceparent is one trace at a loopback OTLP/HTTP receiver (the service's
// server span, its database spans, a client span per peer call), the peers and the outbox event
// continue it, and every log line of the request names it; an admin export's COPY batches are
// database spans of its trace. Without an endpoint: no export, no SDK.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { startServiceProcess, type ServiceProcess } from '../support/process.js';
import { deleteStream, TEST_SECRET_KEY } from '../support/service.js';
import { startStandIns, type StandIns } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const moduleLog = resolve(dirname(fileURLToPath(import.meta.url)), '../support/module-log.mjs');
const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const SERVER = 2;
const CLIENT = 3;

async function eventually<T>(look: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await look();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Run {
  service: ServiceProcess;
  modules(): string[];
  stream: string;
}

describe('traces', () => {
  let tdb: TestDatabase;
  let peers: StandIns;
  let receiver: OtlpReceiver;
  let redis: Redis;
  const dir = mkdtempSync(join(tmpdir(), 'traces-'));
  const tokens = createTokens(TEST_SECRET_KEY);
  const streams: string[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase({ migrate: false, poolMax: 1 });
    peers = await startStandIns({ secretKey: TEST_SECRET_KEY });
    receiver = await startOtlpReceiver();
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    for (const s of streams) await deleteStream(s);
    await receiver.close();
    await peers.close();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<Run> {
    const stream = `orders.events.test.${randomBytes(4).toString('hex')}`;
    streams.push(stream);
    const file = join(dir, `${stream}.modules`);
    const service = await startServiceProcess(
      {
        ENVIRONMENT: 'test',
        DATABASE_URL: tdb.url,
        REDIS_URL,
        SECRET_KEY: TEST_SECRET_KEY,
        MIGRATE_ON_START: 'true',
        SHUTDOWN_DELAY_SECONDS: '0',
        OUTBOX_INTERVAL_MS: '100',
        EVENTS_STREAM: stream,
        CACHE_PREFIX: `${stream}:cache`,
        SIDECAR_URL: 'http://127.0.0.1:9',
        MODULE_LOG_FILE: file,
        ...peers.env,
        ...env,
      },
      30_000,
      ['--import', moduleLog],
    );
    return { service, stream, modules: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []) };
  }

  async function checkout(run: Run, headers: Record<string, string>) {
    const token = await tokens.user(41);
    const res = await fetch(`${run.service.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ items: [{ product_id: 7, quantity: 1 }], shipping_address: address }),
    });
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: number };
    const entry = await eventually(async () => {
      const entries = await redis.xrange(run.stream, '-', '+');
      const found = entries.find(([, fields]) => fields[fields.indexOf('order_id') + 1] === String(order.id));
      return found ? Object.fromEntries(found[1].flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]]] : []))) : undefined;
    });
    return { requestId: res.headers.get('x-request-id')!, entry: entry as Record<string, string>, token };
  }

  test('a checkout with the gateway traceparent is one trace: server, database and peer spans; peers, outbox and logs carry it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const gatewaySpan = randomBytes(8).toString('hex');
    const run = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'order-service-under-test' });
    peers.product.traceHeaders.length = 0;
    peers.user.traceHeaders.length = 0;
    const { requestId, entry, token } = await checkout(run, { traceparent: `00-${traceId}-${gatewaySpan}-01`, tracestate: 'gw=ingress' });
    // SIGTERM: the shutdown flushes what the batch processor still holds
    await run.service.kill('SIGTERM');

    const spans = receiver.spans.filter((s) => s.service === 'order-service-under-test');
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    const server = spans.find((s) => s.kind === SERVER && s.name === 'POST /orders');
    expect(server).toMatchObject({ parentSpanId: gatewaySpan, attributes: expect.objectContaining({ 'http.route': '/orders', 'http.response.status_code': 201 }) });

    const database = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    const operations = new Set(database.map((s) => s.attributes['db.operation.name']));
    for (const op of ['BEGIN', 'INSERT', 'COMMIT']) expect(operations).toContain(op);

    const peerSpans = spans.filter((s) => s.kind === CLIENT && s.attributes['peer.service'] !== undefined);
    expect(peerSpans.map((s) => `${String(s.attributes['peer.service'])} ${s.name}`)).toEqual(
      expect.arrayContaining(['user-service GET /auth/me', 'product-service GET /products/{id}', 'product-service PATCH /products/{id}/stock']),
    );
    // every peer call told the peer its own span as the parent, in the same trace, with the gateway's tracestate
    const received = [...peers.product.traceHeaders, ...peers.user.traceHeaders];
    expect(received.length).toBeGreaterThanOrEqual(3);
    const peerSpanIds = new Set(peerSpans.map((s) => s.spanId));
    for (const r of received) {
      const [, tid, parent] = r.traceparent!.split('-');
      expect(tid).toBe(traceId);
      expect(peerSpanIds).toContain(parent);
      expect(r.tracestate).toBe('gw=ingress');
    }
    // all spans hang together under the gateway's span
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans) expect(s === server ? s.parentSpanId : ids.has(s.parentSpanId) ? 'linked' : s.parentSpanId).toBe(s === server ? gatewaySpan : 'linked');

    // the stream entry keeps its fields and adds the checkout's traceparent
    expect(Object.keys(entry)).toEqual(['event_id', 'type', 'order_id', 'payload', 'traceparent']);
    expect(entry.traceparent).toBe(`00-${traceId}-${server!.spanId}-01`);

    const lines = run.service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ofRequest = lines.filter((l) => l.request_id === requestId);
    expect(ofRequest.length).toBeGreaterThan(0);
    for (const line of ofRequest) expect(line.trace_id).toBe(traceId);
    expect(lines.filter((l) => l.message === 'order created').every((l) => l.trace_id === traceId)).toBe(true);
    // no header value reaches a span
    expect(receiver.bodies.join('')).not.toContain(token);
    expect(receiver.bodies.join('')).not.toMatch(/authorization/i);
    expect(run.modules().some((m) => m.includes('@opentelemetry/sdk-trace-base'))).toBe(true);
  }, 60_000);

  test('without an endpoint nothing is exported and the SDK is not loaded, but the incoming trace is logged and passed on', async () => {
    const before = receiver.requests;
    const traceId = randomBytes(16).toString('hex');
    const gatewaySpan = randomBytes(8).toString('hex');
    const run = await start({});
    peers.product.traceHeaders.length = 0;
    const { requestId, entry } = await checkout(run, { traceparent: `00-${traceId}-${gatewaySpan}-01` });
    await run.service.kill('SIGTERM');

    expect(receiver.requests).toBe(before);
    const modules = run.modules();
    expect(modules.some((m) => m.includes('/tracing/trace-context.js'))).toBe(true); // the hook saw the service's modules
    expect(modules.filter((m) => /sdk-trace|exporter|otel-sdk|resources/.test(m))).toEqual([]);
    // no spans of its own: the peers and the outbox get the gateway's traceparent as it came
    expect(peers.product.traceHeaders.map((r) => r.traceparent)).toContain(`00-${traceId}-${gatewaySpan}-01`);
    expect(entry.traceparent).toBe(`00-${traceId}-${gatewaySpan}-01`);
    const ofRequest = run.service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.request_id === requestId);
    expect(ofRequest.length).toBeGreaterThan(0);
    for (const line of ofRequest) expect(line.trace_id).toBe(traceId);
  }, 60_000);

  test('an unreachable collector costs no request and no shutdown: the checkout succeeds, a warning names the failure, SIGTERM exits within seconds', async () => {
    const closed = await startOtlpReceiver();
    await closed.close(); // a port nothing listens on any more
    const run = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: closed.url });
    await checkout(run, {});
    await eventually(() => (/span export failed|could not flush spans/.test(run.service.output()) ? true : undefined), 15_000);
    const stopping = Date.now();
    expect(await run.service.kill('SIGTERM')).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(8_000);
    const warning = run.service
      .output()
      .split('\n')
      .filter((l) => l.includes('"span export failed"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
    expect(warning).toMatchObject({ level: 'warn', dependency: 'otlp', code: 'ECONNREFUSED' });
    expect(warning).not.toHaveProperty('trace_id'); // not the trace of the request whose spans it held
  }, 60_000);

  test("an admin export's batches read by COPY are database spans of the request's trace", async () => {
    const traceId = randomBytes(16).toString('hex');
    const run = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'order-service-export' });
    // 12 000 orders: cut at the 5 000th and the 10 000th, two batches by COPY and the rest as text
    await tdb.sequelize.query(`
      INSERT INTO orders (order_number, user_id, customer_email, status, payment_status, currency, subtotal_cents, tax_cents, shipping_cents,
                          discount_cents, total_cents, shipping_address, shipping_city, shipping_postal_code, shipping_country, created_at, updated_at)
      SELECT 'ORD-TRACE-' || g, 41, 'trace@example.com', 'confirmed', 'paid', 'USD', g, 0, 0, 0, g, '1 Main St', 'Springfield', '62701', 'US',
             '2025-02-01T00:00:00Z'::timestamptz + g * interval '1 minute', now()
        FROM generate_series(1, 12000) g`);
    const res = await fetch(`${run.service.url}/admin/orders/export?from=2025-02-01&to=2025-02-28`, {
      headers: { authorization: `Bearer ${await tokens.admin()}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(res.status).toBe(200);
    expect((await res.text()).split('\r\n').filter((l) => /^\d/.test(l))).toHaveLength(12000);
    await run.service.kill('SIGTERM');
    const ofTrace = receiver.spans.filter((s) => s.service === 'order-service-export' && s.traceId === traceId);
    const copies = ofTrace.filter((s) => s.attributes['db.operation.name'] === 'COPY');
    expect(copies).toHaveLength(2);
    const server = ofTrace.find((s) => s.kind === SERVER);
    for (const c of copies) expect([c.kind, c.parentSpanId, c.attributes['db.system.name']]).toEqual([CLIENT, server!.spanId, 'postgresql']);
  }, 60_000);
});
