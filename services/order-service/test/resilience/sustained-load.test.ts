// Sustained mixed load (issue 7): reads, creates, status changes and cancellations from 16 clients
// for a bounded time against the service process on real PostgreSQL and Redis, with its sidecar
// probing. No errors, and memory flat: after a full garbage collection (asked for through the
// inspector), the service's RSS at the end is within a small margin of its RSS after warm-up. LOAD_SECONDS sets the measured period (default 20; RESILIENCE_HEAVY=1: 300).

import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { startProductStandIn, type ProductStandIn, type StandInProduct } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';
import { freePort } from '../support/net.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, quantile, type Answer } from './support/client.js';
import { CANARY, collectGarbage, createPasswordDatabase, HEAVY, rssMb, sleep, spawnService, spawnSidecar, Transcript, until, type PasswordDatabase, type SidecarProcess } from './support/harness.js';
import { deleteStream } from '../support/service.js';
import { containerBudget } from '../../../../charts/test/container-budget.js';

/** The chart's heap settings and memory limit for the service container: the process runs as the pod runs it. */
const chart = containerBudget('service');

const WARM_UP_SECONDS = 8;
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? (HEAVY ? 300 : 20));
const CLIENTS = 16;
/** RSS at the end may exceed RSS after warm-up by at most this much (MB) or this fraction, whichever is larger */
const RSS_MARGIN_MB = 8;
const RSS_MARGIN_FRACTION = 0.05;

jest.setTimeout((WARM_UP_SECONDS + LOAD_SECONDS) * 1000 + 120_000);

const CATALOGUE: StandInProduct[] = [21, 22, 23, 24, 25, 26, 27, 28].map((id, i) => ({
  _id: id,
  sku: `L-${id}`,
  title: `Load item ${id}`,
  price: [9.99, 0.29, 24.5, 3.33, 149.99, 12.0, 0.1, 58.75][i]!,
  currency: 'USD',
  image: `/i/${id}.jpg`,
  stock: 10_000_000,
  isActive: true,
}));

const transcript = new Transcript();
const tokens = createTokens(CANARY.secretKey);
let db: PasswordDatabase;
let product: ProductStandIn;
let sidecar: SidecarProcess;
let service: ServiceProcess;
let stream: string;
const call = createClient(() => service.url, transcript);

beforeAll(async () => {
  db = await createPasswordDatabase();
  product = await startProductStandIn({ catalogue: CATALOGUE });
  stream = `orders.events.resil.${db.name}`;
  const deps = { DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', PRODUCT_SERVICE_URL: product.url };
  sidecar = await spawnSidecar(await freePort(), deps, transcript);
  // with an inspector on loopback, so the test can ask for a full garbage collection before measuring
  service = await spawnService({ ...deps, SIDECAR_URL: sidecar.url, MIGRATE_ON_START: 'true', EVENTS_STREAM: stream, CACHE_PREFIX: `${stream}:cache`, LOG_LEVEL: 'INFO' }, transcript, 'service', ['--inspect=127.0.0.1:0', ...chart.nodeOptions.split(' ')]);
  await until(async () => (await call('GET', '/health/ready')).status === 200, 15_000, 'service ready');
});

afterAll(async () => {
  await service?.kill('SIGTERM');
  await sidecar?.stop();
  await product?.close();
  await db?.drop();
  if (stream) await deleteStream(stream);
});

const NEXT: Record<string, string> = { pending: 'confirmed', confirmed: 'processing', processing: 'shipped', shipped: 'delivered' };

it('serves a sustained mixed workload with no errors and flat memory', async () => {
  const admin = await tokens.admin(1);
  let phase: 'warm-up' | 'measure' | 'done' = 'warm-up';
  const answers: Array<Answer & { op: string; phase: string }> = [];

  const client = async (i: number) => {
    const shopper = await tokens.user(6000 + i, `load${i}@example.test`);
    const mine: Array<{ id: number; status: string }> = [];
    for (let n = 0; phase !== 'done'; n++) {
      const record = (op: string, a: Answer) => answers.push({ op, phase, ...a });
      const kind = n % 10;
      if (kind < 3 || mine.length === 0) {
        const items = [CATALOGUE[(i + n) % 8]!, CATALOGUE[(i + 3 * n + 1) % 8]!].map((p, k) => ({ product_id: p._id, quantity: 1 + ((n + k) % 3) }));
        const a = await call('POST', '/orders', { token: shopper, body: { items, shipping_address: ADDRESS }, headers: { 'idempotency-key': randomUUID() } });
        record('POST /orders', a);
        if (a.status === 201) mine.push({ id: a.body.id, status: 'pending' });
      } else if (kind < 5) {
        record('GET /orders/{id}', await call('GET', `/orders/${mine[n % mine.length]!.id}`, { token: shopper }));
      } else if (kind === 5) {
        record('GET /orders', await call('GET', '/orders?size=20', { token: shopper }));
      } else if (kind === 6) {
        record('GET /admin/orders/stats', await call('GET', '/admin/orders/stats', { token: admin }));
      } else if (kind === 7) {
        record('GET /admin/orders', await call('GET', `/admin/orders?size=20&user_id=${6000 + i}`, { token: admin }));
      } else if (kind === 8) {
        const o = mine.find((x) => NEXT[x.status]);
        if (o) {
          const a = await call('PUT', `/admin/orders/${o.id}/status`, { token: admin, body: { status: NEXT[o.status] } });
          record('PUT /admin/orders/{id}/status', a);
          if (a.status === 200) o.status = NEXT[o.status]!;
        }
      } else {
        const o = mine.find((x) => x.status === 'pending');
        if (o) {
          const a = await call('DELETE', `/orders/${o.id}`, { token: shopper });
          record('DELETE /orders/{id}', a);
          if (a.status === 200) o.status = 'cancelled';
        } else {
          record('GET /health/connectivity', await call('GET', '/health/connectivity'));
        }
      }
    }
  };

  const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
  await sleep(WARM_UP_SECONDS * 1000);
  const pid = service.child.pid!;
  // RSS swings by tens of MB between collections: measure what a full collection leaves
  await collectGarbage(() => service.output());
  const rssWarm = rssMb(pid);
  const samples: number[] = [rssWarm];
  phase = 'measure';
  const started = performance.now();
  while (performance.now() - started < LOAD_SECONDS * 1000) {
    await sleep(1000);
    samples.push(rssMb(pid));
  }
  phase = 'done';
  await Promise.all(clients);
  await collectGarbage(() => service.output());
  const rssEnd = rssMb(pid);
  const sidecarRss = rssMb(sidecar.child.pid!);

  const measured = answers.filter((a) => a.phase === 'measure');
  const failed = answers.filter((a) => !(a.status >= 200 && a.status < 300));
  expect(failed.slice(0, 5).map((a) => `${a.op}: ${a.status} ${a.error ?? ''} ${JSON.stringify(a.body)}`)).toEqual([]);
  expect(measured.length).toBeGreaterThan(LOAD_SECONDS * 20);
  const ops = new Set(measured.map((a) => a.op));
  for (const op of ['POST /orders', 'GET /orders/{id}', 'GET /orders', 'GET /admin/orders/stats', 'PUT /admin/orders/{id}/status', 'DELETE /orders/{id}']) expect(ops).toContain(op);

  const allowed = Math.max(RSS_MARGIN_MB, rssWarm * RSS_MARGIN_FRACTION);
  expect(rssEnd - rssWarm).toBeLessThan(allowed);
  // under the chart's heap cap the highest RSS stays well inside the container's memory limit
  expect(Math.max(...samples)).toBeLessThan(chart.limitMiB * 0.85);

  const byOp = [...ops].map((op) => {
    const l = measured.filter((a) => a.op === op).map((a) => a.ms);
    return `${op} n=${l.length} p50 ${quantile(l, 0.5).toFixed(1)} p99 ${quantile(l, 0.99).toFixed(1)} ms`;
  });
  console.log(
    `sustained load: ${measured.length} requests in ${LOAD_SECONDS} s after a ${WARM_UP_SECONDS} s warm-up (${(measured.length / LOAD_SECONDS).toFixed(0)} req/s, ${CLIENTS} clients), 0 errors; ` +
      `service RSS after a full GC ${rssWarm.toFixed(1)} MB after warm-up → ${rssEnd.toFixed(1)} MB at the end (allowed +${allowed.toFixed(1)}; ` +
      `between collections ${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} MB under ${chart.nodeOptions}, limit ${chart.limitMiB} MiB), sidecar RSS ${sidecarRss.toFixed(1)} MB\n  ${byOp.join('\n  ')}`,
  );
});

it('never showed the secret key or the database password', async () => {
  await call('GET', '/metrics');
  await transcript.fetch(`${sidecar.url}/metrics`);
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});
