// Graceful shutdown (issue 7), against real processes behind a small load balancer that follows
// /health/ready as Kubernetes endpoints do: one replica replaces another under steady load with
// zero failed requests; a request in flight when SIGTERM arrives still gets its answer; the process
// stops accepting, closes its pools and exits 0.

import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { deleteStream } from '../support/service.js';
import { startStandIns, type StandIns } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';
import { freePort } from '../support/net.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, quantile, type Answer } from './support/client.js';
import { CANARY, createPasswordDatabase, sleep, spawnService, spawnSidecar, Transcript, until, type PasswordDatabase, type SidecarProcess } from './support/harness.js';
import { startProxy, type Proxy } from './support/proxy.js';

jest.setTimeout(120_000);

const transcript = new Transcript();
const tokens = createTokens(CANARY.secretKey);
let db: PasswordDatabase;
let peers: StandIns;
let sidecar: SidecarProcess;
let proxy: Proxy;
let env: Record<string, string>;
let stream: string | undefined;
const processes: ServiceProcess[] = [];
const viaProxy = createClient(() => proxy.url, transcript);

beforeAll(async () => {
  db = await createPasswordDatabase();
  peers = await startStandIns({ secretKey: CANARY.secretKey });
  const deps = {
    DATABASE_URL: db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    ...peers.env,
  };
  sidecar = await spawnSidecar(await freePort(), deps, transcript);
  stream = `orders.events.resil.${db.name}`;
  env = { ...deps, SIDECAR_URL: sidecar.url, MIGRATE_ON_START: 'true', EVENTS_STREAM: stream, CACHE_PREFIX: `${stream}:cache` };
  proxy = await startProxy();
});

afterAll(async () => {
  for (const p of processes) await p.kill('SIGKILL');
  await proxy?.close();
  await sidecar?.stop();
  await peers?.close();
  await db?.drop();
  if (stream) await deleteStream(stream);
});

async function replica(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const p = await spawnService({ ...env, ...extra }, transcript, `replica ${processes.length + 1}`);
  processes.push(p);
  return p;
}

it('replaces one replica with another under steady load with zero failed requests', async () => {
  const shopper = await tokens.user(4301, 'rolling@example.test');
  const old = await replica({ SHUTDOWN_DELAY_SECONDS: '2' });
  proxy.add(old.url);
  await until(() => proxy.backend(old.url)?.ready, 10_000, 'first replica in rotation');
  peers.product.setStock(3, 1_000_000); // the load must not run out of stock (a 409 would count as a failure)
  const seed = await viaProxy('POST', '/orders', { token: shopper, body: { items: [{ product_id: 3, quantity: 1 }], shipping_address: ADDRESS } });
  expect(seed.status).toBe(201);

  // 16 clients, each: read an order, list, create one (with a key) — no retries: any failure counts
  let running = true;
  const answers: Array<Answer & { op: string }> = [];
  const worker = async () => {
    while (running) {
      answers.push({ op: 'GET /orders/{id}', ...(await viaProxy('GET', `/orders/${seed.body.id}`, { token: shopper })) });
      answers.push({ op: 'GET /orders', ...(await viaProxy('GET', '/orders?size=5', { token: shopper })) });
      answers.push({
        op: 'POST /orders',
        ...(await viaProxy('POST', '/orders', { token: shopper, body: { items: [{ product_id: 3, quantity: 1 }], shipping_address: ADDRESS }, headers: { 'idempotency-key': randomUUID() } })),
      });
    }
  };
  const workers = Array.from({ length: 16 }, worker);

  await sleep(1000);
  const next = await replica({ SHUTDOWN_DELAY_SECONDS: '2' });
  proxy.add(next.url);
  await until(() => proxy.backend(next.url)?.ready, 10_000, 'second replica in rotation');
  await sleep(500);

  const servedBefore = proxy.backend(old.url)!.served;
  const sigterm = Date.now();
  old.child.kill('SIGTERM');
  const code = await old.exited;
  const exitMs = Date.now() - sigterm;
  const droppedAfterMs = (proxy.backend(old.url)!.droppedAt ?? Infinity) - sigterm;
  await sleep(1000); // the new replica alone
  running = false;
  await Promise.all(workers);

  const failed = answers.filter((a) => !(a.status >= 200 && a.status < 300));
  expect(failed.map((a) => `${a.op}: ${a.status} ${a.error ?? ''} ${JSON.stringify(a.body)}`)).toEqual([]);
  expect(proxy.failures).toEqual([]);
  expect(code).toBe(0);
  // it reported not-ready at once, and stayed up for the delay rather than vanishing
  expect(droppedAfterMs).toBeLessThan(500);
  expect(exitMs).toBeGreaterThanOrEqual(2000);
  expect(servedBefore).toBeGreaterThan(0);
  expect(proxy.backend(next.url)!.served).toBeGreaterThan(0);
  expect(old.output()).toMatch(/"message":"stopped"/);
  proxy.remove(old.url);

  const latencies = answers.map((a) => a.ms);
  console.log(
    `graceful shutdown: ${answers.length} requests from 16 clients across a replica replacement, 0 failed; ` +
      `old replica not ready ${droppedAfterMs} ms after SIGTERM, exited 0 after ${exitMs} ms (2 s delay); ` +
      `p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms`,
  );
});

it('answers a request in flight at SIGTERM, refuses new connections, then exits 0', async () => {
  const shopper = await tokens.user(4302, 'inflight@example.test');
  const proc = await replica({ SHUTDOWN_DELAY_SECONDS: '0' });
  const direct = createClient(() => proc.url, transcript);
  peers.product.setFaults({ latencyMs: 1500, onlyMethod: 'GET' });
  try {
    const inFlight = direct('POST', '/orders', { token: shopper, body: { items: [{ product_id: 1, quantity: 1 }], shipping_address: ADDRESS } });
    await sleep(300);
    const sigterm = Date.now();
    proc.child.kill('SIGTERM');
    await sleep(200);
    const refused = await direct('GET', '/health/live');
    const answer = await inFlight;
    const code = await proc.exited;
    const exitMs = Date.now() - sigterm;
    expect(refused.status).toBe(0); // no longer accepting
    expect(answer.status).toBe(201);
    expect(code).toBe(0);
    expect(exitMs).toBeGreaterThan(1000); // it waited for the answer
    expect(exitMs).toBeLessThan(10_000); // within the drain bound
    const stored = await db.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE id = $1', [answer.body.id]);
    expect(stored[0]!.n).toBe('1');
  } finally {
    peers.product.setFaults({});
  }
});

it('never showed the secret key or the database password', () => {
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});
