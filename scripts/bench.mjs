// npm run bench: measures the service against its ceilings in one run on this machine and prints
// one table (req/s, p50/p99 latency, ratio to the ceiling, per round) and the targets. Not a test.
// Real PostgreSQL, PgBouncer and Redis; the service, its sidecar and the ceilings run as processes.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { startProductStandIn, startCartStandIn, issueToken } from '../services/order-service/dist/test/support/stand-ins/index.js';
import { makeTestCertificates } from '../services/order-service/dist/test/support/tls.js';
import * as trendsMigration from '../services/order-service/dist/src/data/migrations/0007-trends-and-top-products.js';
import * as seriesMigration from '../services/order-service/dist/src/data/migrations/0011-series-by-quarter.js';
import * as seriesByDayMigration from '../services/order-service/dist/src/data/migrations/0013-series-by-day.js';
import * as seriesByTimeOfDayMigration from '../services/order-service/dist/src/data/migrations/0015-series-by-time-of-day.js';
import { children, freePort, rssMb, start, startKubeApi, startPgBouncer } from './bench/processes.mjs';
import { CONNECTIONS, DURATION, ROUNDS, load, printTable, printTargets, row, runRounds } from './bench/measure.mjs';
import { rangeRequests, targets } from './bench/targets.mjs';

// the service and the sidecar run with the heap caps their containers get from the chart
const chartValues = parse(readFileSync(new URL('../charts/order-service/values.yaml', import.meta.url), 'utf8'));
const SERVICE_NODE = [`--max-old-space-size=${chartValues.heapMegabytes}`];
const SIDECAR_NODE = [
  `--max-old-space-size=${chartValues.sidecar.heapMegabytes}`,
  ...(chartValues.sidecar.semiSpaceMegabytes ? [`--max-semi-space-size=${chartValues.sidecar.semiSpaceMegabytes}`] : []),
  ...(chartValues.sidecar.v8PoolSize ? [`--v8-pool-size=${chartValues.sidecar.v8PoolSize}`] : []),
];
const SIDECAR_ENV = chartValues.sidecar.mallocArenaMax ? { MALLOC_ARENA_MAX: String(chartValues.sidecar.mallocArenaMax) } : {};
const PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// BENCH_ONLY=tracing: only the rows that compare tracing off and on (no 1 M seed)
const ONLY = process.env.BENCH_ONLY;
const SECRET = randomBytes(24).toString('hex');
const dbName = `orders_bench_${randomBytes(4).toString('hex')}`;
const dbUrl = Object.assign(new URL(PG), { pathname: `/${dbName}` }).toString();
const SERVICE = 'services/order-service/dist/src/main.js';

const admin = new pg.Client({ connectionString: PG });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const db = new pg.Client({ connectionString: dbUrl });
const certs = await makeTestCertificates();
const closers = [];
try {
  const product = await startProductStandIn({
    catalogue: [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ _id: id, sku: `SKU-${id}`, title: `Bench product ${id}`, price: 19.99, currency: 'USD', image: '/i.jpg', stock: 1_000_000_000, isActive: true })),
  });
  const cart = await startCartStandIn({ secretKey: SECRET });
  closers.push(() => product.close(), () => cart.close());
  const common = { ENVIRONMENT: 'production', DATABASE_URL: dbUrl, SECRET_KEY: SECRET, PRODUCT_SERVICE_URL: product.url, CART_SERVICE_URL: cart.url, LOG_LEVEL: 'ERROR', MIGRATE_ON_START: 'true', SHUTDOWN_DELAY_SECONDS: '0', HEALTH_DETAILS: 'never', SERVICE_HOST: '127.0.0.1' };
  const withRedis = { REDIS_URL: REDIS, CACHE_PREFIX: `${dbName}:cache`, EVENTS_STREAM: `${dbName}:events` };
  const sidecarPort = await freePort();
  const sidecar = await start([...SIDECAR_NODE, 'sidecar/dist/main.js'], { ...common, ...SIDECAR_ENV, REDIS_URL: REDIS, SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: String(sidecarPort) }, `http://127.0.0.1:${sidecarPort}/healthz`);
  // the same sidecar in a cluster: it loads the Kubernetes client and patches its pod's condition
  const kube = await startKubeApi();
  closers.push(kube.close);
  const kubeSidecarPort = await freePort();
  const kubeSidecar = await start([...SIDECAR_NODE, 'sidecar/dist/main.js'], { ...common, ...SIDECAR_ENV, ...kube.env, REDIS_URL: REDIS, SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: String(kubeSidecarPort) }, `http://127.0.0.1:${kubeSidecarPort}/healthz`);
  const service = async (env) => {
    const port = await freePort();
    const child = await start([...SERVICE_NODE, SERVICE], { ...common, SERVICE_PORT: String(port), SIDECAR_URL: `http://127.0.0.1:${sidecarPort}`, ...env }, `http://127.0.0.1:${port}/health`);
    return { url: `http://127.0.0.1:${port}`, pid: child.pid };
  };
  const cached = await service(withRedis);
  // the product service owns stock (STOCK_MANAGEMENT=false): no per-product lock, no stock write
  const noStock = await service({ ...withRedis, MIGRATE_ON_START: 'false', STOCK_MANAGEMENT: 'false' });
  // no cache: every read goes to PostgreSQL (REDIS_URL is mandatory in production, so development settings)
  const plain = await service({ ENVIRONMENT: 'development', MIGRATE_ON_START: 'false' });
  // production's path: PgBouncer in transaction mode, TLS from the service to it (verify-full)
  const pgUrl = new URL(PG);
  const bouncer = await startPgBouncer({ server: { host: pgUrl.hostname, port: Number(pgUrl.port || 5432), user: pgUrl.username || 'postgres' }, certs, poolSize: 10 });
  closers.push(bouncer.stop);
  const pooledUrl = `postgres://${pgUrl.username || 'postgres'}@127.0.0.1:${bouncer.port}/${dbName}?sslmode=verify-full`;
  const pooled = await service({ ...withRedis, MIGRATE_ON_START: 'false', DATABASE_URL: pooledUrl, DATABASE_CA_FILE: certs.caFile });
  // tracing on: every request sampled and exported over OTLP/HTTP to a sink that reads each body
  let exportedBytes = 0;
  const sink = createHttpServer((req, res) => {
    req.on('data', (c) => (exportedBytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  }).listen(0, '127.0.0.1');
  await once(sink, 'listening');
  closers.push(() => sink.close());
  const traced = ONLY === 'tracing' ? await service({ ...withRedis, MIGRATE_ON_START: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.address().port}`, OTEL_TRACES_SAMPLER: 'always_on' }) : undefined;
  // the ceilings: a bare Express "hello", and a bare pg single-row insert endpoint straight to PostgreSQL and through PgBouncer
  const helloPort = await freePort();
  await start(['-e', `const e=require('express')();e.get('/',(q,s)=>s.json({hello:'world'}));e.listen(${helloPort},'127.0.0.1')`], {}, `http://127.0.0.1:${helloPort}/`);
  await db.connect();
  await db.query('CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz DEFAULT now())');
  const insertCeiling = async (env) => {
    const port = await freePort();
    await start(['scripts/bench/insert-ceiling.mjs'], { PORT: String(port), ...env }, `http://127.0.0.1:${port}/`);
    return `http://127.0.0.1:${port}/`;
  };
  const insertUrl = await insertCeiling({ DATABASE_URL: dbUrl });
  const pooledInsertUrl = await insertCeiling({ DATABASE_URL: pooledUrl.replace(/\?.*/, ''), CA_FILE: certs.caFile });

  // 10 k orders over 1 000 shoppers, spread over a year
  const seed = async (from, to) => db.query(`INSERT INTO orders (order_number, user_id, customer_email, status, payment_status, currency, subtotal_cents, tax_cents, shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_postal_code, shipping_country, created_at, updated_at)
      SELECT 'ORD-BENCH-' || g, 1 + g % 1000, 'u' || (g % 1000) || '@example.com', (ARRAY['pending','confirmed','processing','shipped','delivered','cancelled','refunded'])[1 + g % 7], 'pending', 'USD',
             1000 + g % 9000, 100, 1000, 0, 2100 + g % 9000, '1 Main St', 'Springfield', '62701', 'US', now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second', now()
        FROM generate_series(${from}, ${to}) g
       ORDER BY 16; -- written oldest first, as a live system writes them (a month's orders side by side in the table)
      INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, unit_price_cents, total_price_cents, order_created_at, order_total_cents)
      SELECT id, 1 + id % 200, 'SKU-' || (1 + id % 200), 'Bench product ' || (1 + id % 200), 1, subtotal_cents, subtotal_cents, created_at, total_cents FROM orders WHERE order_number LIKE 'ORD-BENCH-%' AND id > (SELECT coalesce(max(order_id), 0) FROM order_items) ORDER BY id;
      TRUNCATE order_stats_daily;
      INSERT INTO order_stats_daily SELECT (created_at AT TIME ZONE 'UTC')::date, status, count(*), sum(total_cents) FROM orders GROUP BY 1, 2;`);
  // the series and product roll-ups as migrations 0007, 0011 and 0013 build them from existing orders (and 0015's indexes on them)
  const rebuildRollups = async () => {
    const context = { query: (sql) => db.query(sql) };
    const t = Date.now();
    await seriesByTimeOfDayMigration.down({ context });
    await seriesByDayMigration.down({ context });
    await seriesMigration.down({ context });
    await trendsMigration.down({ context });
    await trendsMigration.up({ context });
    await seriesMigration.up({ context });
    await seriesByDayMigration.up({ context });
    await seriesByTimeOfDayMigration.up({ context });
    await db.query('ANALYZE');
    return ((Date.now() - t) / 1000).toFixed(1);
  };
  await seed(1, 10_000);
  await rebuildRollups();
  const { rows: [one] } = await db.query('SELECT id FROM orders WHERE user_id = 7 LIMIT 1');
  const user7 = issueToken(SECRET, { id: 7, email: 'u7@example.com', role: 'user' }, 3600);
  const adminToken = issueToken(SECRET, { id: 1, email: 'admin@example.com', role: 'admin' }, 3600);
  const auth = (t) => ({ authorization: `Bearer ${t}` });
  const address = { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
  const bodyFor = (id) => JSON.stringify({ items: [{ product_id: id, quantity: 1 }], shipping_address: address });
  const postOne = (base, extra = {}) => ({ url: `${base}/orders`, method: 'POST', headers: { ...auth(user7), 'content-type': 'application/json', ...extra }, body: bodyFor(1) });
  // each connection cycles through the 8 products (all 32 start on the same one, so they move as a convoy)
  const postEight = (base, extra = {}) => ({ url: `${base}/orders`, headers: { ...auth(user7), 'content-type': 'application/json', ...extra }, requests: [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ method: 'POST', body: bodyFor(id) })) });
  const get = (url, token, connections) => () => load({ url, headers: auth(token) }, connections);
  const HELLO = 'ceiling: bare Express hello';
  const INSERT = 'ceiling: bare pg single-row insert';
  const POOLED_INSERT = 'ceiling: bare pg single-row insert through PgBouncer';
  const hello = row(HELLO, null, () => load({ url: `http://127.0.0.1:${helloPort}/` }));
  const insertBody = { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyFor(1) };

  if (ONLY === 'tracing') {
    const tp = () => ({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
    const rows = await runRounds([
      hello,
      row(INSERT, null, () => load({ url: insertUrl, ...insertBody })),
      row('GET /orders/{id} (cache hit), tracing off', HELLO, () => load({ url: `${cached.url}/orders/${one.id}`, headers: auth(user7) }, CONNECTIONS, cached.pid)),
      row('GET /orders/{id} (cache hit), tracing off, a traceparent in', HELLO, () => load({ url: `${cached.url}/orders/${one.id}`, headers: { ...auth(user7), ...tp() } }, CONNECTIONS, cached.pid)),
      row('GET /orders/{id} (cache hit), tracing on (all sampled)', HELLO, () => load({ url: `${traced.url}/orders/${one.id}`, headers: { ...auth(user7), ...tp() } }, CONNECTIONS, traced.pid)),
      row('POST /orders (8 products in turn), tracing off', INSERT, () => load(postEight(cached.url), CONNECTIONS, cached.pid)),
      row('POST /orders (8 products in turn), tracing on (all sampled)', INSERT, () => load(postEight(traced.url, tp()), CONNECTIONS, traced.pid)),
    ]);
    console.log(`\n${CONNECTIONS} connections, ${DURATION} s per row after a 1 s warm-up, ${ROUNDS} rounds (figures: round 1 / round 2 …), ${new Date().toISOString()}, node ${process.version}`);
    printTable(rows);
    console.log(`\nspans exported to the sink: ${(exportedBytes / 1e6).toFixed(1)} MB of OTLP JSON; RSS after the run: service ${rssMb(cached.pid).toFixed(0)} MB, tracing on ${rssMb(traced.pid).toFixed(0)} MB`);
  } else {
    const small = await runRounds([
      hello,
      row(INSERT, null, () => load({ url: insertUrl, ...insertBody })),
      row(POOLED_INSERT, null, () => load({ url: pooledInsertUrl, ...insertBody })),
      row('GET /orders/{id} (cache hit)', HELLO, get(`${cached.url}/orders/${one.id}`, user7)),
      row('GET /orders/{id} (no cache)', HELLO, get(`${plain.url}/orders/${one.id}`, user7)),
      row('GET /orders?page=1&size=10', HELLO, get(`${cached.url}/orders?page=1&size=10`, user7)),
      row('GET /health/connectivity', HELLO, () => load({ url: `${cached.url}/health/connectivity` })),
      row('POST /orders (one product)', INSERT, () => load(postOne(cached.url))),
      row('POST /orders (8 products in turn)', INSERT, () => load(postEight(cached.url))),
      row('POST /orders (STOCK_MANAGEMENT=false)', INSERT, () => load(postOne(noStock.url))),
      row('POST /orders through PgBouncer (one product)', POOLED_INSERT, () => load(postOne(pooled.url))),
      row('POST /orders through PgBouncer (8 products in turn)', POOLED_INSERT, () => load(postEight(pooled.url))),
      row('GET /admin/orders/stats 10k (no cache)', HELLO, get(`${plain.url}/admin/orders/stats`, adminToken)),
      row('GET /admin/orders/stats 10k (cached)', HELLO, get(`${cached.url}/admin/orders/stats`, adminToken)),
    ]);

    const t0 = Date.now();
    await seed(10_001, 1_000_000);
    const seedSeconds = ((Date.now() - t0) / 1000).toFixed(1);
    const rollupSeconds = await rebuildRollups();
    // tracking numbers on every 100th order, and products 2-8 on every 50th (product 1 is on every order)
    await db.query(`UPDATE orders SET tracking_number = '1Z' || id WHERE id % 100 = 0;
      INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, unit_price_cents, total_price_cents, order_created_at, order_total_cents)
      SELECT id, 2 + id % 7, 'SKU', 'Bench product', 1, 100, 100, created_at, total_cents FROM orders WHERE id % 50 = 0;`);
    await fetch(`${cached.url}/orders`, postOne(cached.url)); // invalidates the cached stats
    await db.query('VACUUM ANALYZE'); // what autovacuum would do after a bulk load, done before measuring
    // and the checkpoint that would follow it: otherwise it writes the load's pages out during the rows
    await db.query('CHECKPOINT');

    const u = plain.url;
    const anyRange = rangeRequests(Date.now(), 64);
    const ranges = (connections) => () => load({ url: `${u}/admin/orders/stats`, headers: auth(adminToken), requests: anyRange.map((path) => ({ method: 'GET', path })) }, connections);
    const dayText = (d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const lastYear = `from=${dayText(-364)}&to=${dayText(0)}`;
    const searches = [
      ['an order-number prefix', 'q=ORD-BENCH-12345'], ['an email, another case', 'q=U7@EXAMPLE.COM'], ['a tracking number', 'q=1Z500000'],
      ['a product on every order', 'q=1'], ['a product on 1 in 350 orders', 'q=product:3'], ['no q, by total descending', 'sort=-total_amount'],
    ];
    const secondPage = `sort=total_amount&cursor=${(await fetch(`${u}/admin/orders?sort=total_amount`, { headers: auth(adminToken) })).headers.get('x-next-cursor')}`;
    const series = [
      ['a year of days, UTC', `${lastYear}&interval=day`],
      ['a year of days, Asia/Kolkata', `${lastYear}&interval=day&tz=Asia/Kolkata`],
      ['a year of months, America/New_York', `${lastYear}&interval=month&tz=America/New_York`],
    ];
    const exports = [];
    const large = await runRounds([
      hello,
      row('GET /admin/orders/stats 1M (no cache), 1 connection', HELLO, get(`${u}/admin/orders/stats`, adminToken, 1)),
      row('GET /admin/orders/stats 1M (no cache)', HELLO, get(`${u}/admin/orders/stats`, adminToken)),
      row('GET /admin/orders/stats 1M (cached)', HELLO, get(`${cached.url}/admin/orders/stats`, adminToken)),
      row('GET /admin/orders/stats?from&to 1M (64 random ranges, no cache), 1 connection', HELLO, ranges(1)),
      row('GET /admin/orders/stats?from&to 1M (64 random ranges, no cache)', HELLO, ranges(CONNECTIONS)),
      ...searches.map(([name, query]) => row(`GET /admin/orders?${query} 1M (search: ${name}), 1 connection`, HELLO, get(`${u}/admin/orders?${query}`, adminToken, 1))),
      row('GET /admin/orders?sort=total_amount&cursor=… 1M (a second page), 1 connection', HELLO, get(`${u}/admin/orders?${secondPage}`, adminToken, 1)),
      ...series.flatMap(([name, query]) => [
        row(`GET /admin/orders/stats/series 1M (${name}), 1 connection`, HELLO, get(`${u}/admin/orders/stats/series?${query}`, adminToken, 1)),
        row(`GET /admin/orders/stats/series 1M (${name})`, HELLO, get(`${u}/admin/orders/stats/series?${query}`, adminToken)),
      ]),
      row('GET /admin/orders/stats/products 1M (a year, top 10 of 200), 1 connection', HELLO, get(`${u}/admin/orders/stats/products?${lastYear}&limit=10`, adminToken, 1)),
      row('GET /admin/orders/stats/products 1M (a year, top 10 of 200)', HELLO, get(`${u}/admin/orders/stats/products?${lastYear}&limit=10`, adminToken)),
    ], async (round) => {
      // the last row's requests still in flight when it ended (its timeouts) finish first: not the export's to wait for
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // three downloads of each: on a shared machine one figure says more about the moment than about the export
      for (let i = 1; i <= 3; i++) exports.push(`round ${round + 1}, a month (${i} of 3): ${await download(u, auth(adminToken), 30, plain.pid)}`);
      for (let i = 1; i <= 3; i++) exports.push(`round ${round + 1}, a month as NDJSON (${i} of 3): ${await download(u, auth(adminToken), 30, plain.pid, 'application/x-ndjson')}`);
    });
    exports.push(`a year: ${await download(u, auth(adminToken), 365, plain.pid)}`);

    const rows = [...small, ...large];
    const rss = { service: rssMb(cached.pid), pooled: rssMb(pooled.pid), sidecar: rssMb(sidecar.pid), kubeSidecar: rssMb(kubeSidecar.pid) };
    console.log(`\n${CONNECTIONS} connections unless a row says otherwise, ${DURATION} s per row after a 1 s warm-up, ${ROUNDS} rounds (each figure: round 1 / round 2 …; ratios within a round), ${new Date().toISOString()}, node ${process.version}`);
    printTable(rows);
    console.log(`\nexport (GET /admin/orders/export, no-cache service):\n  ${exports.join('\n  ')}`);
    console.log(`\nseeded 990 000 more orders in ${seedSeconds} s (then migrations 0007, 0011 and 0013 rebuilding the series and product roll-ups: ${rollupSeconds} s)`);
    console.log(`RSS after the run: service ${rss.service.toFixed(0)} MB (through PgBouncer ${rss.pooled.toFixed(0)} MB), sidecar ${rss.sidecar.toFixed(0)} MB outside a cluster, ${rss.kubeSidecar.toFixed(0)} MB in one (the Kubernetes API stand-in); heap settings from the chart: ${SERVICE_NODE.join(' ')} / ${SIDECAR_NODE.join(' ')}`);
    printTargets(targets(rss), rows);
  }
} finally {
  for (const close of closers) await Promise.resolve(close()).catch(() => undefined);
  for (const ch of children) ch.kill('SIGKILL');
  certs.remove();
  await db.end().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  // the run's cache, events stream and dedupe keys in the shared Redis
  const redis = new Redis(REDIS);
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${dbName}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  redis.disconnect();
}

/** One download of the last `days` days (CSV unless `accept` says NDJSON): orders, size, time, the service's peak RSS meanwhile. */
async function download(base, headers, days, pid, accept = 'text/csv') {
  const to = new Date(Date.now() + 60_000).toISOString();
  const from = new Date(Date.now() - days * 86_400_000).toISOString();
  const started = performance.now();
  const res = await fetch(`${base}/admin/orders/export?from=${from}&to=${to}`, { headers: { ...headers, accept } });
  let bytes = 0;
  let lines = 0;
  let peak = 0;
  let chunks = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    // indexOf, not a loop over bytes: the client's own counting is no part of the figure
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    if (chunks++ % 16 === 0) peak = Math.max(peak, rssMb(pid));
  }
  const records = accept === 'text/csv' ? lines - 1 : lines;
  return `${records} orders, ${(bytes / 1048576).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(2)} s; service RSS at most ${peak.toFixed(0)} MB`;
}
