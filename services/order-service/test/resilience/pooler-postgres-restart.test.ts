// PostgreSQL restarted under a small load (issue 12), directly and behind PgBouncer in transaction
// mode: while it is down every answer is 503 problem+json with Retry-After naming postgres (through
// the pooler that includes PgBouncer's 08P01 "server login has been failing"), no request waits
// longer than the bound, and the same service process serves 201s again once PostgreSQL is back.

import { jest } from '@jest/globals';
import { startProductStandIn, type ProductStandIn, type StandInProduct } from '../support/stand-ins/index.js';
import type { ServiceProcess } from '../support/process.js';
import { ADDRESS, createClient, quantile, type Answer } from './support/client.js';
import { sleep, spawnService, until } from './support/harness.js';
import { tally } from './support/tally.js';
import { ROUTES, pooledSuite, stopService, type StackDatabase } from './support/pooled-stack.js';

jest.setTimeout(120_000);

/** the service's deadline for one statement (PgBouncer keeps a query waiting while it cannot log in) */
const QUERY_TIMEOUT_MS = 5_000;
/** how long any request may take to be answered, outage or not: one statement's deadline + margin */
const ANSWER_BOUND_MS = QUERY_TIMEOUT_MS + 2_000;
/** the outage lasts at least this long (spans PgBouncer's server_login_retry of 2 s) and this many answers */
const OUTAGE_MIN_MS = 3_000;
const OUTAGE_MIN_ANSWERS = 12;
const PRODUCT: StandInProduct = { _id: 22, sku: 'P-22', title: 'Restart-proof filters', price: 4, currency: 'USD', image: '/i/22.jpg', stock: 1_000_000, isActive: true };

const { transcript, tokens, stack } = pooledSuite();

interface Sample {
  op: string;
  startedAt: number;
  endedAt: number;
  answer: Answer;
}

describe.each(ROUTES)('%s', (route) => {
  let db: StackDatabase;
  let product: ProductStandIn;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await stack().createDatabase();
    product = await startProductStandIn({ catalogue: [PRODUCT] });
    service = await spawnService(
      { DATABASE_URL: db.urls[route], PRODUCT_SERVICE_URL: product.url, ...stack().tlsEnv(), MIGRATE_ON_START: 'true', OUTBOX_INTERVAL_MS: '500', DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) },
      transcript,
      `${route} service`,
    );
  });

  afterAll(async () => {
    if ((await stopService(service)) === 'killed') console.log(`pooler restart (${route}): the service did not exit within 5 s of SIGTERM`);
    await product?.close();
    await db?.drop();
  });

  it('answers only 503 + Retry-After (postgres) within the bound while PostgreSQL restarts, and serves 201s again without a restart', async () => {
    const shopper = await tokens.user(22_000, 'restart@example.test');
    const call = createClient(() => service.url, transcript);
    const order = () =>
      call('POST', '/orders', { token: shopper, body: { items: [{ product_id: PRODUCT._id, quantity: 1 }], shipping_address: ADDRESS }, timeoutMs: 15_000 });
    expect((await order()).status).toBe(201);

    const samples: Sample[] = [];
    let loadOver = false;
    const client = async (op: string, send: () => Promise<Answer>) => {
      while (!loadOver) {
        const startedAt = performance.now();
        const answer = await send();
        samples.push({ op, startedAt, endedAt: performance.now(), answer });
        await sleep(50);
      }
    };
    const load = Promise.all([
      client('POST /orders', order),
      client('POST /orders', order),
      client('GET /orders', () => call('GET', '/orders', { token: shopper, timeoutMs: 15_000 })),
    ]);
    await until(() => samples.length >= 6, 10_000, 'load under way');

    await stack().postgres.stop();
    const downAt = performance.now();
    await until(
      () => performance.now() - downAt >= OUTAGE_MIN_MS && samples.filter((s) => s.startedAt >= downAt).length >= OUTAGE_MIN_ANSWERS,
      10_000,
      'answers during the outage',
    ).catch(() => undefined); // requests that hang show in the figures and fail the assertions below
    const startingAt = performance.now();
    await stack().postgres.start();
    const upAt = performance.now();
    const recovered = await until(
      () => samples.find((s) => s.startedAt >= upAt && s.answer.status === 201),
      20_000,
      'a 201 after PostgreSQL is back',
    ).catch(() => undefined);
    if (recovered) await until(() => samples.filter((s) => s.startedAt >= recovered.endedAt).length >= 6, 10_000, 'answers after recovery').catch(() => undefined);
    loadOver = true;
    await load;

    const outage = samples.filter((s) => s.startedAt >= downAt && s.endedAt <= startingAt);
    const afterRecovery = recovered ? samples.filter((s) => s.startedAt >= recovered.endedAt) : [];
    const label = (s: Sample) => `${s.answer.status || s.answer.error} ${s.answer.body?.type?.replace(/^.*\//, '') ?? ''}${s.answer.body?.dependency ? ` (${s.answer.body.dependency})` : ''}${s.answer.retryAfter ? ' Retry-After' : ''}`.trim();
    const latencies = samples.map((s) => s.answer.ms);
    console.log(
      `pooler restart (${route}): ${samples.length} requests; outage ${Math.round(startingAt - downAt)} ms: ${JSON.stringify(tally(outage.map(label)))}; ` +
        `all: ${JSON.stringify(tally(samples.map(label)))}; p50 ${quantile(latencies, 0.5).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms; ` +
        `first 201 ${recovered ? `${Math.round(recovered.endedAt - upAt)} ms` : 'never'} after PostgreSQL was back; after that ${JSON.stringify(tally(afterRecovery.map(label)))}; ` +
        `slowest: ${[...samples].sort((x, y) => y.answer.ms - x.answer.ms).slice(0, 3).map((s) => `${s.op} ${label(s)} ${Math.round(s.answer.ms)} ms from +${Math.round(s.startedAt - downAt)} ms`).join(', ')}`,
    );

    expect(outage.length).toBeGreaterThanOrEqual(OUTAGE_MIN_ANSWERS);
    const conforming = (s: Sample) =>
      s.answer.status === 503 &&
      s.answer.contentType === 'application/problem+json; charset=utf-8' &&
      s.answer.body?.type === 'https://orders.ecommerce.dev/problems/dependency-unavailable' &&
      s.answer.body?.dependency === 'postgres' &&
      Number(s.answer.retryAfter) > 0;
    expect(outage.filter((s) => !conforming(s)).map((s) => `${s.op}: ${label(s)}`)).toEqual([]);
    // around the stop and the start too: an answer (no 500, no dropped connection), in time
    expect(samples.filter((s) => ![200, 201, 503].includes(s.answer.status)).map(label)).toEqual([]);
    expect(Math.max(...latencies)).toBeLessThan(ANSWER_BOUND_MS);
    expect(recovered).toBeDefined();
    expect(recovered!.endedAt - upAt).toBeLessThan(15_000);
    expect(afterRecovery.length).toBeGreaterThanOrEqual(6);
    expect(afterRecovery.filter((s) => s.answer.status >= 300).map(label)).toEqual([]);
    expect(service.child.exitCode).toBeNull(); // the same process throughout
  });
});

it('never showed the secret key or the database password', () => {
  const { found, checkedChars } = transcript.leaks();
  expect(found).toEqual([]);
  expect(checkedChars).toBeGreaterThan(10_000);
});
