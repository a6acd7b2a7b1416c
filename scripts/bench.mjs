// npm run bench: measures the service against its ceilings in one run on this machine and prints
// one table (req/s, p50/p99 latency, ratio to the ceiling). Not a test: it asserts nothing.
// Real PostgreSQL and Redis; the service, its sidecar and the two ceilings run as processes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { startProductStandIn, startCartStandIn, issueToken } from '../services/order-service/dist/test/support/stand-ins/index.js';
import * as trendsMigration from '../services/order-service/dist/src/data/migrations/0007-trends-and-top-products.js';
import * as seriesMigration from '../services/order-service/dist/src/data/migrations/0011-series-by-quarter.js';

// the service and the sidecar run with the heap caps their containers get from the chart
const chartValues = parse(readFileSync(new URL('../charts/order-service/values.yaml', import.meta.url), 'utf8'));
const SERVICE_NODE = [`--max-old-space-size=${chartValues.heapMegabytes}`];
const SIDECAR_NODE = [`--max-old-space-size=${chartValues.sidecar.heapMegabytes}`, ...(chartValues.sidecar.semiSpaceMegabytes ? [`--max-semi-space-size=${chartValues.sidecar.semiSpaceMegabytes}`] : [])];
const PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
// BENCH_ONLY=tracing: only the rows that compare tracing off and on (no 1 M seed)
const ONLY = process.env.BENCH_ONLY;
const CONNECTIONS = 32;
const SECRET = randomBytes(24).toString('hex');
const dbName = `orders_bench_${randomBytes(4).toString('hex')}`;
const dbUrl = Object.assign(new URL(PG), { pathname: `/${dbName}` }).toString();
const children = [];

const freePort = async () => {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
};
async function start(args, env, readyUrl) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 200; i++) {
    if ((await fetch(readyUrl).then((r) => r.status, () => 0)) === 200) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`did not start: ${args.join(' ')}`);
}
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

// CPU time a process used (user + system, clock ticks of 10 ms): per request it depends far less on
// what else the shared machine runs than req/s does
const cpuTicks = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0);

async function load(name, opts, connections = CONNECTIONS, pid = undefined) {
  await autocannon({ ...opts, connections, duration: 1 }); // warm-up
  const before = pid ? cpuTicks(pid) : 0;
  const r = await autocannon({ ...opts, connections, duration: DURATION });
  const cpuMs = pid ? ((cpuTicks(pid) - before) * 10) / r.requests.total : undefined;
  const errors = r.errors + r.timeouts + (r.non2xx ?? 0);
  return { name, rps: r.requests.average, p50: r.latency.p50, p97: r.latency.p97_5, p99: r.latency.p99, errors, cpuMs };
}

const admin = new pg.Client({ connectionString: PG });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const db = new pg.Client({ connectionString: dbUrl });
try {
  // the service and its data
  const product = await startProductStandIn({
    catalogue: [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ _id: id, sku: `SKU-${id}`, title: `Bench product ${id}`, price: 19.99, currency: 'USD', image: '/i.jpg', stock: 1_000_000_000, isActive: true })),
  });
  const cart = await startCartStandIn({ secretKey: SECRET });
  const common = { ENVIRONMENT: 'production', DATABASE_URL: dbUrl, SECRET_KEY: SECRET, PRODUCT_SERVICE_URL: product.url, CART_SERVICE_URL: cart.url, LOG_LEVEL: 'ERROR', MIGRATE_ON_START: 'true', SHUTDOWN_DELAY_SECONDS: '0', HEALTH_DETAILS: 'never', SERVICE_HOST: '127.0.0.1' };
  const sidecarPort = await freePort();
  const sidecar = await start([...SIDECAR_NODE, 'sidecar/dist/main.js'], { ...common, REDIS_URL: REDIS, SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: String(sidecarPort) }, `http://127.0.0.1:${sidecarPort}/healthz`);
  const cachedPort = await freePort();
  const cached = await start([...SERVICE_NODE, 'services/order-service/dist/src/main.js'], { ...common, REDIS_URL: REDIS, CACHE_PREFIX: `${dbName}:cache`, EVENTS_STREAM: `${dbName}:events`, SERVICE_PORT: String(cachedPort), SIDECAR_URL: `http://127.0.0.1:${sidecarPort}` }, `http://127.0.0.1:${cachedPort}/health`);
  // the product service owns stock (STOCK_MANAGEMENT=false): no per-product lock, no stock write
  const noStockPort = await freePort();
  await start([...SERVICE_NODE, 'services/order-service/dist/src/main.js'], { ...common, REDIS_URL: REDIS, CACHE_PREFIX: `${dbName}:cache`, EVENTS_STREAM: `${dbName}:events`, MIGRATE_ON_START: 'false', STOCK_MANAGEMENT: 'false', SERVICE_PORT: String(noStockPort), SIDECAR_URL: `http://127.0.0.1:${sidecarPort}` }, `http://127.0.0.1:${noStockPort}/health`);
  // tracing on: every request sampled (always_on) and exported over OTLP/HTTP to a sink in this
  // process that reads each body and answers 200, as a collector on the same machine would
  let exportedBytes = 0;
  const sink = createHttpServer((req, res) => {
    req.on('data', (c) => (exportedBytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  }).listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const tracedPort = await freePort();
  const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.address().port}`, OTEL_TRACES_SAMPLER: 'always_on' };
  const traced = await start([...SERVICE_NODE, 'services/order-service/dist/src/main.js'], { ...common, ...tracing, REDIS_URL: REDIS, CACHE_PREFIX: `${dbName}:cache`, EVENTS_STREAM: `${dbName}:events`, MIGRATE_ON_START: 'false', SERVICE_PORT: String(tracedPort), SIDECAR_URL: `http://127.0.0.1:${sidecarPort}` }, `http://127.0.0.1:${tracedPort}/health`);
  const plainPort = await freePort();
  // no cache: every read goes to PostgreSQL (REDIS_URL is mandatory in production, so development settings)
  const plain = await start([...SERVICE_NODE, 'services/order-service/dist/src/main.js'], { ...common, ENVIRONMENT: 'development', MIGRATE_ON_START: 'false', SERVICE_PORT: String(plainPort), SIDECAR_URL: `http://127.0.0.1:${sidecarPort}` }, `http://127.0.0.1:${plainPort}/health`);
  // the ceilings: a bare Express "hello" and a bare pg single-row insert endpoint
  const helloPort = await freePort();
  await start(['-e', `const e=require('express')();e.get('/',(q,s)=>s.json({hello:'world'}));e.listen(${helloPort},'127.0.0.1')`], {}, `http://127.0.0.1:${helloPort}/`);
  await db.connect();
  await db.query('CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz DEFAULT now())');
  const insertPort = await freePort();
  await start(['-e', `const pg=require('pg');const p=new pg.Pool({connectionString:${JSON.stringify(dbUrl)},max:10});const e=require('express')();e.use(require('express').json());e.get('/',(q,s)=>s.send('ok'));e.post('/',async(q,s)=>{const r=await p.query('INSERT INTO bench_inserts(body) VALUES ($1) RETURNING id',[q.body]);s.status(201).json({id:r.rows[0].id})});e.listen(${insertPort},'127.0.0.1')`], {}, `http://127.0.0.1:${insertPort}/`);

  // 10 k orders over 1 000 shoppers, spread over a year
  const seed = async (from, to) => db.query(`INSERT INTO orders (order_number, user_id, customer_email, status, payment_status, currency, subtotal_cents, tax_cents, shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_postal_code, shipping_country, created_at, updated_at)
      SELECT 'ORD-BENCH-' || g, 1 + g % 1000, 'u' || (g % 1000) || '@example.com', (ARRAY['pending','confirmed','processing','shipped','delivered','cancelled','refunded'])[1 + g % 7], 'pending', 'USD',
             1000 + g % 9000, 100, 1000, 0, 2100 + g % 9000, '1 Main St', 'Springfield', '62701', 'US', now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second', now()
        FROM generate_series(${from}, ${to}) g;
      INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, unit_price_cents, total_price_cents, order_created_at, order_total_cents)
      SELECT id, 1 + id % 200, 'SKU-' || (1 + id % 200), 'Bench product ' || (1 + id % 200), 1, subtotal_cents, subtotal_cents, created_at, total_cents FROM orders WHERE order_number LIKE 'ORD-BENCH-%' AND id > (SELECT coalesce(max(order_id), 0) FROM order_items);
      TRUNCATE order_stats_daily;
      INSERT INTO order_stats_daily SELECT (created_at AT TIME ZONE 'UTC')::date, status, count(*), sum(total_cents) FROM orders GROUP BY 1, 2;`);
  // the series and product roll-ups as migrations 0007 and 0011 build them from existing orders
  const rebuildRollups = async () => {
    const context = { query: (sql) => db.query(sql) };
    const t = Date.now();
    await seriesMigration.down({ context });
    await trendsMigration.down({ context });
    await trendsMigration.up({ context });
    await seriesMigration.up({ context });
    await db.query('ANALYZE');
    return ((Date.now() - t) / 1000).toFixed(1);
  };
  await seed(1, 10_000);
  await rebuildRollups();
  const { rows: [one] } = await db.query("SELECT id FROM orders WHERE user_id = 7 LIMIT 1");
  const user7 = issueToken(SECRET, { id: 7, email: 'u7@example.com', role: 'user' }, 60);
  const adminToken = issueToken(SECRET, { id: 1, email: 'admin@example.com', role: 'admin' }, 60);
  const auth = (t) => ({ authorization: `Bearer ${t}` });
  const c = `http://127.0.0.1:${cachedPort}`;
  const u = `http://127.0.0.1:${plainPort}`;
  const body = JSON.stringify({ items: [{ product_id: 1, quantity: 1 }], shipping_address: { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' } });
  const bodies = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => JSON.stringify({ items: [{ product_id: id, quantity: 1 }], shipping_address: { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' } }));

  const hello = await load('ceiling: bare Express hello', { url: `http://127.0.0.1:${helloPort}/` });
  const insert = await load('ceiling: bare pg single-row insert', { url: `http://127.0.0.1:${insertPort}/`, method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const t = `http://127.0.0.1:${tracedPort}`;
  const traceparent = () => ({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
  const postOrders = (base, extra = {}) => ({ url: `${base}/orders`, headers: { ...auth(user7), 'content-type': 'application/json', ...extra }, requests: bodies.map((b) => ({ method: 'POST', body: b })) });
  // off and on in turn, twice, so drift of the shared machine shows as the spread between rounds
  const tracingRows = async () => {
    const out = [];
    for (let round = 1; round <= Number(process.env.BENCH_ROUNDS ?? 2); round++) {
      out.push([await load(`GET /orders/{id} (cache hit), tracing off, round ${round}`, { url: `${c}/orders/${one.id}`, headers: auth(user7) }, CONNECTIONS, cached.pid), hello]);
      out.push([await load(`GET /orders/{id} (cache hit), tracing off, a traceparent in, round ${round}`, { url: `${c}/orders/${one.id}`, headers: { ...auth(user7), ...traceparent() } }, CONNECTIONS, cached.pid), hello]);
      out.push([await load(`GET /orders/{id} (cache hit), tracing on (all sampled), round ${round}`, { url: `${t}/orders/${one.id}`, headers: { ...auth(user7), ...traceparent() } }, CONNECTIONS, traced.pid), hello]);
      out.push([await load(`POST /orders (8 products in turn), tracing off, round ${round}`, postOrders(c), CONNECTIONS, cached.pid), insert]);
      out.push([await load(`POST /orders (8 products in turn), tracing on (all sampled), round ${round}`, postOrders(t, traceparent()), CONNECTIONS, traced.pid), insert]);
    }
    return out;
  };
  const rows = ONLY === 'tracing' ? [[hello, hello], [insert, insert], ...(await tracingRows())] : [];
  if (ONLY !== 'tracing') rows.push(
    [hello, hello],
    [insert, insert],
    [await load('GET /orders/{id} (cache hit)', { url: `${c}/orders/${one.id}`, headers: auth(user7) }), hello],
    [await load('GET /orders/{id} (no cache)', { url: `${u}/orders/${one.id}`, headers: auth(user7) }), hello],
    [await load('GET /orders (a page of 20)', { url: `${u}/orders?page=1&size=20`, headers: auth(user7) }), hello],
    [await load('GET /health/connectivity', { url: `${c}/health/connectivity` }), hello],
    [await load('POST /orders (stock management on, all orders for one product)', { url: `${c}/orders`, method: 'POST', headers: { ...auth(user7), 'content-type': 'application/json' }, body }), insert],
    [await load('POST /orders (stock management on, 8 products in turn)', { url: `${c}/orders`, headers: { ...auth(user7), 'content-type': 'application/json' }, requests: bodies.map((b) => ({ method: 'POST', body: b })) }), insert],
    [await load('POST /orders (STOCK_MANAGEMENT=false)', { url: `http://127.0.0.1:${noStockPort}/orders`, method: 'POST', headers: { ...auth(user7), 'content-type': 'application/json' }, body }), insert],
    [await load('GET /admin/orders/stats 10k (no cache)', { url: `${u}/admin/orders/stats`, headers: auth(adminToken) }), hello],
    [await load('GET /admin/orders/stats 10k (cached)', { url: `${c}/admin/orders/stats`, headers: auth(adminToken) }), hello],
    ...(await tracingRows()),
  );
  let seedSeconds = '';
  let rollupSeconds = '';
  const plans = [];
  const exportRows = [];
  if (ONLY !== 'tracing') {
    const t0 = Date.now();
    await seed(10_001, 1_000_000);
    seedSeconds = ((Date.now() - t0) / 1000).toFixed(1);
    rollupSeconds = await rebuildRollups();
    await fetch(`${c}/orders`, { method: 'POST', headers: { ...auth(user7), 'content-type': 'application/json' }, body }); // invalidates the cached stats
    await db.query('VACUUM ANALYZE'); // what autovacuum would do after a bulk load, done before measuring
    rows.push([await load('GET /admin/orders/stats 1M (no cache, roll-up)', { url: `${u}/admin/orders/stats`, headers: auth(adminToken) }), hello]);
    rows.push([await load('GET /admin/orders/stats 1M (cached)', { url: `${c}/admin/orders/stats`, headers: auth(adminToken) }), hello]);
    // the same two with one connection: the latency of one request, without queueing behind 31 others
    rows.push([await load('GET /admin/orders/stats 1M (no cache, roll-up), 1 connection', { url: `${u}/admin/orders/stats`, headers: auth(adminToken) }, 1), hello]);
    rows.push([await load('GET /admin/orders/stats 1M (cached), 1 connection', { url: `${c}/admin/orders/stats`, headers: auth(adminToken) }, 1), hello]);
    // a range with times of day at both ends: the whole days from the roll-up, the two partial days from the orders
    const dayMs = 86_400_000;
    const timeRange = `from=${new Date(Math.floor(Date.now() / dayMs - 200) * dayMs + 47_831_000).toISOString()}&to=${new Date(Math.floor(Date.now() / dayMs - 20) * dayMs + 31_530_000).toISOString()}`;
    rows.push([await load('GET /admin/orders/stats 1M (no cache, a range with times)', { url: `${u}/admin/orders/stats?${timeRange}`, headers: auth(adminToken) }), hello]);
    rows.push([await load('GET /admin/orders/stats 1M (no cache, a range with times), 1 connection', { url: `${u}/admin/orders/stats?${timeRange}`, headers: auth(adminToken) }, 1), hello]);

    // the admin search (issue 18), one connection each: a request's latency at 1 M orders. Tracking
    // numbers on every 100th order, and products 2-8 on every 50th (product 1 is on every order)
    await db.query(`UPDATE orders SET tracking_number = '1Z' || id WHERE id % 100 = 0;
      INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, unit_price_cents, total_price_cents, order_created_at, order_total_cents)
      SELECT id, 2 + id % 7, 'SKU', 'Bench product', 1, 100, 100, created_at, total_cents FROM orders WHERE id % 50 = 0;
      ANALYZE orders; ANALYZE order_items;`);
    const searches = [
      ['an order-number prefix', 'q=ORD-BENCH-12345'],
      ['an email, another case', 'q=U7@EXAMPLE.COM'],
      ['a tracking number', 'q=1Z500000'],
      ['a product on every order', 'q=1'],
      ['a product on 1 in 350 orders', 'q=product:3'],
      ['no q, by total descending', 'sort=-total_amount'],
    ];
    const nextPage = async (query) => (await fetch(`${u}/admin/orders?${query}`, { headers: auth(adminToken) })).headers.get('x-next-cursor');
    for (const [name, query] of searches) {
      rows.push([await load(`GET /admin/orders?${query} 1M (search: ${name}), 1 connection`, { url: `${u}/admin/orders?${query}`, headers: auth(adminToken) }, 1), hello]);
    }
    const secondPage = `sort=total_amount&cursor=${await nextPage('sort=total_amount')}`;
    rows.push([await load('GET /admin/orders?sort=total_amount&cursor=… 1M (a second page by cursor), 1 connection', { url: `${u}/admin/orders?${secondPage}`, headers: auth(adminToken) }, 1), hello]);
    // each search form's plan at 1 M, from the service's own SQL (captured, then EXPLAINed here)
    const { createOrderSearch } = await import('../services/order-service/dist/src/data/order-search.js');
    const { searchFormOf } = await import('../services/order-service/dist/src/orders/search-orders.js');
    for (const [name, q, sort] of [['order-number prefix', 'ORD-BENCH-12345', 'created_at'], ['email', 'U7@EXAMPLE.COM', 'created_at'], ['tracking number', '1Z500000', 'created_at'], ['product on every order', '1', 'created_at'], ['rare product', 'product:3', 'created_at'], ['no q, by total', null, 'total_amount']]) {
      let captured;
      // the rare-product probe runs for real: it decides which statement the service sends
      const probe = async (sql, bind) => (await db.query(sql.replace('$product', '$1').replace('$rare', '$2'), [bind.product, bind.rare])).rows;
      await createOrderSearch({ query: async (sql, options) => (sql.includes('LIMIT $rare') ? probe(sql, options.bind) : ((captured = { sql, bind: options.bind }), [])) }).search({ form: q === null ? undefined : searchFormOf(q), sort, direction: 'desc', limit: 20, offset: 0 });
      const keys = Object.keys(captured.bind);
      const sql = captured.sql.replace(/\$(\w+)/g, (_, k) => `$${keys.indexOf(k) + 1}`);
      const { rows: plan } = await db.query(`EXPLAIN (ANALYZE, COSTS off) ${sql}`, keys.map((k) => captured.bind[k]));
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      plans.push(`${name}: ${[...new Set(text.match(/(?:Index|Index Only|Bitmap Index) Scan(?: Backward)? using \w+/g) ?? ['no index'])].join('; ')}; ${/Execution Time: [\d.]+ ms/.exec(text)?.[0]}`);
    }
    // the export: a month (about 83 k orders) and a year (all of them) as CSV, one download each
    for (const [name, days] of [['a month', 30], ['a year', 365]]) {
      const to = new Date(Date.now() + 60_000).toISOString();
      const from = new Date(Date.now() - days * 86_400_000).toISOString();
      const started = performance.now();
      const res = await fetch(`${u}/admin/orders/export?from=${from}&to=${to}`, { headers: { ...auth(adminToken), accept: 'text/csv' } });
      let bytes = 0;
      let lines = 0;
      let peak = 0;
      for await (const chunk of res.body) {
        bytes += chunk.length;
        for (const b of chunk) if (b === 10) lines++;
        peak = Math.max(peak, rssMb(plain.pid));
      }
      exportRows.push(`${name}: ${lines - 1} orders, ${(bytes / 1048576).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(2)} s; service RSS at most ${peak.toFixed(0)} MB`);
    }

    // trends: a year of days (UTC; a half-hour zone, whose every bound needs hours and minutes from the orders), a year of months; the year's best products
    const dayText = (d) => new Date(Date.now() + d * dayMs).toISOString().slice(0, 10);
    const lastYear = `from=${dayText(-364)}&to=${dayText(0)}`;
    for (const [name, query] of [
      ['a year of days, UTC', `${lastYear}&interval=day`],
      ['a year of days, Asia/Kolkata', `${lastYear}&interval=day&tz=Asia/Kolkata`],
      ['a year of months, America/New_York', `${lastYear}&interval=month&tz=America/New_York`],
    ]) {
      const url = `${u}/admin/orders/stats/series?${query}`;
      rows.push([await load(`GET /admin/orders/stats/series 1M (${name}), 1 connection`, { url, headers: auth(adminToken) }, 1), hello]);
      rows.push([await load(`GET /admin/orders/stats/series 1M (${name})`, { url, headers: auth(adminToken) }), hello]);
    }
    const products = `${u}/admin/orders/stats/products?${lastYear}&limit=10`;
    rows.push([await load('GET /admin/orders/stats/products 1M (a year, 200 products, top 10), 1 connection', { url: products, headers: auth(adminToken) }, 1), hello]);
    rows.push([await load('GET /admin/orders/stats/products 1M (a year, 200 products, top 10)', { url: products, headers: auth(adminToken) }), hello]);
  }

  const pad = (s, n) => String(s).padEnd(n);
  console.log(`\n${CONNECTIONS} connections (unless a row says otherwise), ${DURATION} s per row after a 1 s warm-up, ${new Date().toISOString()}, node ${process.version}`);
  console.log(`${pad('endpoint', 78)} ${pad('req/s', 9)} ${pad('p50 ms', 7)} ${pad('p97.5', 7)} ${pad('p99 ms', 7)} ${pad('errors', 7)} ${pad('ratio', 17)} service CPU ms/req`);
  for (const [r, ceiling] of rows) {
    console.log(`${pad(r.name, 78)} ${pad(r.rps.toFixed(0), 9)} ${pad(r.p50, 7)} ${pad(r.p97, 7)} ${pad(r.p99, 7)} ${pad(r.errors, 7)} ${pad(`${(100 * r.rps / ceiling.rps).toFixed(0)} % of ${ceiling === hello ? 'hello' : 'insert'}`, 17)} ${r.cpuMs === undefined ? '' : r.cpuMs.toFixed(3)}`);
  }
  console.log(`\nspans exported to the sink: ${(exportedBytes / 1e6).toFixed(1)} MB of OTLP JSON; RSS after the run: service ${rssMb(cached.pid).toFixed(0)} MB, tracing on ${rssMb(traced.pid).toFixed(0)} MB`);
  if (ONLY !== 'tracing') {
    console.log(`\nseeded 990 000 more orders in ${seedSeconds} s (then migration 0007's backfill of the hourly and product roll-ups: ${rollupSeconds} s); RSS after the run: service ${rssMb(cached.pid).toFixed(0)} MB, sidecar ${rssMb(sidecar.pid).toFixed(0)} MB (outside a cluster: no Kubernetes client loaded; heap settings from the chart: ${SERVICE_NODE.join(' ')} / ${SIDECAR_NODE.join(' ')})`);
    console.log(`\nsearch plans at 1 M orders (EXPLAIN ANALYZE of the service's SQL):\n  ${plans.join('\n  ')}`);
    console.log(`export (GET /admin/orders/export, text/csv, no cache service):\n  ${exportRows.join('\n  ')}`);
  }
  await product.close();
  await cart.close();
  sink.close();
} finally {
  for (const ch of children) ch.kill('SIGKILL');
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
