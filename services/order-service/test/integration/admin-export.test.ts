// GET /admin/orders/export over a real socket and PostgreSQL: CSV and NDJSON parsed back equal the
// seeded rows (quotes, commas, line breaks, non-ASCII), input checks, 100 k rows with bounded memory
// in this process while the client holds back, and a client that leaves stops the queries.
import { once } from 'node:events';
import http from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { EXPORT_QUERY_MARKER } from '../../src/data/order-search.js';
import type { OrderUseCases } from '../../src/http/order-handlers.js';
import { createLogger } from '../../src/log.js';
import { EXPORT_COLUMNS } from '../../src/orders/search-ports.js';
import { startTestService, type TestService } from '../support/service.js';
import { createTokens } from '../support/tokens.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let svc: TestService;
let client: pg.Client;
let adminToken: string;

interface Seed {
  id: number;
  number: string;
  email: string;
  phone: string | null;
  status: string;
  cents: [number, number, number, number, number];
  address: string;
  city: string;
  state: string | null;
  postal: string;
  country: string;
  tracking: string | null;
  notes: string | null;
  createdAt: string;
}

const TRICKY: Seed[] = [
  { id: 1, number: 'ORD-20260501-AAAAAAAA', email: 'zoë@example.com', phone: '+49 30 "1234"', status: 'pending', cents: [1999, 200, 1000, 0, 3199], address: 'Straße 1, Apt "B"', city: '東京', state: null, postal: '100-0001', country: 'JP', tracking: null, notes: 'He said "hi", then left\r\nline two\nline three', createdAt: '2026-05-01T00:00:00.000Z' },
  { id: 2, number: 'ORD-20260501-BBBBBBBB', email: 'a,b@example.com', phone: null, status: 'shipped', cents: [5, 0, 0, 0, 5], address: '📦 Parcel Lane', city: 'Zürich', state: 'ZH', postal: '8000', country: 'CH', tracking: '1Z,"x"', notes: '', createdAt: '2026-05-01T00:00:00.000Z' },
  { id: 3, number: 'ORD-20260515-CCCCCCCC', email: 'plain@example.com', phone: null, status: 'pending', cents: [100000, 10000, 0, 500, 109500], address: '1 Main St', city: 'Springfield', state: 'IL', postal: '62701', country: 'US', tracking: 'TRK1', notes: 'ends with a quote"', createdAt: '2026-05-31T23:59:59.999Z' },
  { id: 4, number: 'ORD-20260515-DDDDDDDD', email: 'tab@example.com', phone: null, status: 'delivered', cents: [1, 0, 0, 0, 1], address: '\tTabbed', city: 'Ñandú', state: null, postal: '1', country: 'AR', tracking: null, notes: null, createdAt: '2026-05-15T12:00:00.123Z' },
  // outside the range on either side
  { id: 5, number: 'ORD-20260430-EEEEEEEE', email: 'before@example.com', phone: null, status: 'pending', cents: [1, 0, 0, 0, 1], address: 'x', city: 'x', state: null, postal: 'x', country: 'US', tracking: null, notes: null, createdAt: '2026-04-30T23:59:59.999Z' },
  { id: 6, number: 'ORD-20260601-FFFFFFFF', email: 'after@example.com', phone: null, status: 'pending', cents: [1, 0, 0, 0, 1], address: 'x', city: 'x', state: null, postal: 'x', country: 'US', tracking: null, notes: null, createdAt: '2026-06-01T00:00:00.000Z' },
];
const IN_MAY = TRICKY.filter((r) => r.createdAt >= '2026-05-01' && r.createdAt < '2026-06-01');

const decimal = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
/** What the export must say for a seeded row, column by column (computed here, not by the service's code). */
function expectedRecord(r: Seed, itemCount: number): Record<string, string | number | null> {
  return {
    id: r.id, order_number: r.number, created_at: r.createdAt, status: r.status, payment_status: 'pending', user_id: 40 + r.id,
    customer_email: r.email, customer_phone: r.phone, currency: 'EUR', subtotal: decimal(r.cents[0]), tax_amount: decimal(r.cents[1]),
    shipping_amount: decimal(r.cents[2]), discount_amount: decimal(r.cents[3]), total_amount: decimal(r.cents[4]),
    shipping_address: r.address, shipping_city: r.city, shipping_state: r.state, shipping_postal_code: r.postal,
    shipping_country: r.country, tracking_number: r.tracking, notes: r.notes, item_count: itemCount,
  };
}

/** RFC 4180, written here to read the service's output independently: records of fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else if (i >= text.length) {
          throw new Error('unterminated quoted field');
        } else field += text[i++];
      }
    } else if (text[i] === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (text[i] === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (text[i] === '\r' || text[i] === '\n') {
      throw new Error(`a bare line break outside quotes at ${i}`);
    } else field += text[i++];
  }
  if (field !== '' || record.length > 0) throw new Error('the last record has no CRLF');
  return records;
}

async function insertOrders(rows: Seed[]): Promise<void> {
  for (const r of rows) {
    await client.query(
      `INSERT INTO orders (id, order_number, user_id, customer_email, customer_phone, status, payment_status, currency, subtotal_cents,
                           tax_cents, shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_state,
                           shipping_postal_code, shipping_country, tracking_number, notes, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', 'EUR', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, now())`,
      [r.id, r.number, 40 + r.id, r.email, r.phone, r.status, ...r.cents, r.address, r.city, r.state, r.postal, r.country, r.tracking, r.notes, r.createdAt],
    );
  }
}

async function seed(rows: Seed[]): Promise<void> {
  await insertOrders(rows);
  // order 1 has two items, the others none
  await client.query(`INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price_cents, total_price_cents, order_created_at, order_total_cents)
                      SELECT 1, v.p, v.name, 1, v.cents, v.cents, o.created_at, o.total_cents
                        FROM (VALUES (7, 'Grinder', 1000), (8, 'Kettle', 999)) AS v(p, name, cents) JOIN orders o ON o.id = 1`);
}

beforeAll(async () => {
  // the pollers (relay, webhook worker, reconciler) off the pool: pg_stat_activity keeps the export's last statement
  svc = await startTestService({ env: { REDIS_URL: '', OUTBOX_INTERVAL_MS: '600000', WEBHOOKS_INTERVAL_MS: '600000', STOCK_RECONCILE_INTERVAL_SECONDS: '86400' } });
  adminToken = await svc.tokens.admin();
  client = new pg.Client({ connectionString: svc.config.databaseUrl });
  await client.connect();
  await seed(TRICKY);
  // 100 k orders in March 2025, 200 per instant (ties across batch boundaries), 700-byte notes
  await client.query(`
    INSERT INTO orders (id, order_number, user_id, customer_email, status, payment_status, currency, subtotal_cents, tax_cents,
                        shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_postal_code,
                        shipping_country, notes, created_at, updated_at)
    SELECT 1000 + g, 'ORD-BULK-' || g, g % 1000 + 1, 'bulk' || g || '@example.com', 'confirmed', 'paid', 'USD', g, 0, 0, 0, g,
           g || ' Long Road', 'Springfield', '62701', 'US', repeat('n', 700),
           '2025-03-01T00:00:00Z'::timestamptz + (g % 500) * interval '1 minute', now()
      FROM generate_series(1, 100000) g`);
  await client.query(`SELECT setval('orders_id_seq', 200000)`);
}, 120_000);

afterAll(async () => {
  await client?.end();
  await svc?.stop();
});

function exportUrl(query: string): string {
  return `${svc.url}/admin/orders/export?${query}`;
}

/**
 * Resolves once an export query has run and for a second none has been active or started. Watched
 * from outside: the backend that ran the last batch may be reused by the service's pollers (the
 * relay, the webhook worker), so its row then shows their query instead.
 */
async function quietExport(): Promise<void> {
  const deadline = Date.now() + 60_000;
  let seenOnce = false;
  let busyAt = Date.now();
  for (;;) {
    const { rows } = await client.query<{ seen: string; active: string; quiet: number | null }>(
      `SELECT count(*) AS seen, count(*) FILTER (WHERE state = 'active') AS active,
              extract(epoch FROM clock_timestamp() - max(query_start))::float8 AS quiet
         FROM pg_stat_activity WHERE datname = current_database() AND query LIKE $1`,
      [`${EXPORT_QUERY_MARKER}%`],
    );
    const r = rows[0]!;
    if (Number(r.seen) > 0) seenOnce = true;
    if (Number(r.active) > 0 || (r.quiet !== null && r.quiet <= 1)) busyAt = Date.now();
    if (seenOnce && Date.now() - busyAt > 1000) return;
    if (Date.now() > deadline) throw new Error('the export never went quiet');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('GET /admin/orders/export', () => {
  it('CSV: a header row and one RFC 4180 record per order in the range, oldest first, equal to the rows', async () => {
    const res = await fetch(exportUrl('from=2026-05-01&to=2026-05-31'), { headers: { authorization: `Bearer ${adminToken}`, accept: 'text/csv' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="orders-20260501T000000Z-20260601T000000Z.csv"');
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await res.arrayBuffer());
    const [header, ...records] = parseCsv(text);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    const asObjects = records.map((fields) => Object.fromEntries(header!.map((name, i) => [name, fields[i]])));
    // CSV has no null: an empty field; numbers are their digits
    const want = [...IN_MAY]
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id))
      .map((r) => Object.fromEntries(Object.entries(expectedRecord(r, r.id === 1 ? 2 : 0)).map(([k, v]) => [k, v === null ? '' : String(v)])));
    expect(asObjects).toEqual(want);
  });

  it('NDJSON: one JSON object per line, nulls as null, ids and counts as numbers, amounts as strings', async () => {
    const res = await fetch(exportUrl('from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z'), {
      headers: { authorization: `Bearer ${adminToken}`, accept: 'application/x-ndjson' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="orders-[0-9TZ-]+\.ndjson"$/);
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const want = [...IN_MAY].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id)).map((r) => expectedRecord(r, r.id === 1 ? 2 : 0));
    expect(lines).toEqual(want);
  });

  it('filters by status, and an empty range is a header row only', async () => {
    const shipped = await fetch(exportUrl('from=2026-05-01&to=2026-05-31&status=shipped'), { headers: { authorization: `Bearer ${adminToken}`, accept: 'application/x-ndjson' } });
    expect((await shipped.text()).trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([2]);
    expect(shipped.headers.get('content-disposition')).toContain('-shipped.ndjson"');
    const empty = await fetch(exportUrl('from=2030-01-01&to=2030-01-02'), { headers: { authorization: `Bearer ${adminToken}` } });
    expect([empty.status, await empty.text()]).toEqual([200, `${EXPORT_COLUMNS.join(',')}\r\n`]);
  });

  it('answers CSV to */* or no Accept, 406 problem+json to anything it cannot send', async () => {
    const any = await fetch(exportUrl('from=2026-05-01&to=2026-05-02'), { headers: { authorization: `Bearer ${adminToken}`, accept: '*/*' } });
    expect(any.headers.get('content-type')).toMatch(/^text\/csv/);
    await any.arrayBuffer();
    const preferred = await fetch(exportUrl('from=2026-05-01&to=2026-05-02'), { headers: { authorization: `Bearer ${adminToken}`, accept: 'text/csv;q=0.5, application/x-ndjson' } });
    expect(preferred.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    await preferred.arrayBuffer();
    const json = await fetch(exportUrl('from=2026-05-01&to=2026-05-02'), { headers: { authorization: `Bearer ${adminToken}`, accept: 'application/json' } });
    expect(json.status).toBe(406);
    expect(json.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await json.json()) as { type: string }).type).toBe('https://orders.ecommerce.dev/problems/not-acceptable');
  });

  it('any text, amount and instant comes back as stored, in CSV and in NDJSON (the database renders both)', async () => {
    // quotes, commas, CR, LF, tabs, backslashes, control characters, non-ASCII and astral characters
    const textArb = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '"', ',', '\r', '\n', '\t', '\\', '\u0001', 'ß', '東', '📦'), maxLength: 10 });
    const [rows] = fc.sample(
      fc.array(
        fc.record({
          text: fc.tuple(textArb, fc.option(textArb), textArb, fc.option(textArb), fc.option(textArb), fc.option(textArb)),
          cents: fc.tuple(fc.nat(10_000_000), fc.nat(999), fc.nat(2000), fc.nat(50), fc.nat(100_000_000)),
          at: fc.integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2024-01-31T23:59:59.999Z') }),
        }),
        { minLength: 40, maxLength: 40 },
      ),
      { seed: 20261201, numRuns: 1 },
    );
    const seeds: Seed[] = rows!.map((r, i) => ({
      id: 900_000 + i, number: `ORD-2024-${i}`, email: `${r.text[0]}@example.com`, phone: r.text[1], status: 'confirmed',
      cents: r.cents, address: `1 ${r.text[2]}`, city: 'x', state: r.text[3], postal: '1', country: 'US',
      tracking: r.text[4], notes: r.text[5], createdAt: new Date(r.at).toISOString(),
    }));
    await insertOrders(seeds);
    const want = [...seeds].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id)).map((r) => expectedRecord(r, 0));
    const get = async (accept: string) => {
      const res = await fetch(exportUrl('from=2024-01-01&to=2024-01-31'), { headers: { authorization: `Bearer ${adminToken}`, accept } });
      expect(res.status).toBe(200);
      return new TextDecoder('utf-8', { fatal: true }).decode(await res.arrayBuffer());
    };
    const [header, ...records] = parseCsv(await get('text/csv'));
    expect(records.map((f) => Object.fromEntries(header!.map((name, i) => [name, f[i]])))).toEqual(
      want.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)]))),
    );
    const ndjson = await get('application/x-ndjson');
    expect(ndjson.endsWith('\n')).toBe(true);
    // byte for byte what JSON.stringify makes of the same values, line by line
    expect(ndjson.slice(0, -1).split('\n')).toEqual(want.map((r) => JSON.stringify(r)));
  });

  it.each([
    ['from after to', 'from=2026-05-02&to=2026-05-01', 'from'],
    ['a bad date', 'from=2026-13-01&to=2026-05-01', 'from'],
    ['not a date', 'from=yesterday&to=2026-05-01', 'from'],
    ['an unknown status', 'from=2026-05-01&to=2026-05-02&status=lost', 'status'],
    ['no from', 'to=2026-05-02', 'from'],
    ['no to', 'from=2026-05-01', 'to'],
    ['more than 366 days', 'from=2024-01-01&to=2025-01-02', 'to'],
    ['an unknown parameter', 'from=2026-05-01&to=2026-05-02&q=x', 'q'],
  ])('refuses %s with a 400 problem naming the field', async (_name, query, field) => {
    const res = await fetch(exportUrl(query), { headers: { authorization: `Bearer ${adminToken}` } });
    const body = (await res.json()) as { type: string; errors?: Array<{ field: string }> };
    expect([res.status, res.headers.get('content-type'), body.type]).toEqual([400, 'application/problem+json; charset=utf-8', 'https://orders.ecommerce.dev/problems/validation-failed']);
    expect(body.errors?.map((e) => e.field)).toContain(field);
  });

  it('is for admins: 401 without a token, 403 for a shopper', async () => {
    expect((await fetch(exportUrl('from=2026-05-01&to=2026-05-02'))).status).toBe(401);
    const shopper = await svc.tokens.user(41);
    expect((await fetch(exportUrl('from=2026-05-01&to=2026-05-02'), { headers: { authorization: `Bearer ${shopper}` } })).status).toBe(403);
  });

  it('exports 100 k rows with flat memory in this process while the client holds back (back-pressure), each row once', async () => {
    const seen = new Uint8Array(100_001); // allocated before the baseline
    let bytes = 0;
    let lines = 0;
    let duplicates = 0;
    let rest = '';
    collectGarbage();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    // live memory: garbage the collector has not come to yet is no buffered file
    const sampler = setInterval(() => {
      collectGarbage();
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 250);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(exportUrl('from=2025-03-01&to=2025-03-31'), { headers: { authorization: `Bearer ${adminToken}`, accept: 'text/csv' } }, (res) => {
          expect(res.statusCode).toBe(200);
          res.setEncoding('utf8');
          res.pause();
          // hold back until the export has stopped querying for a second: with back-pressure it stalls
          // on a full socket; a server ignoring write() returning false would have queued the whole file
          void quietExport().then(() => res.resume(), reject);
          res.on('data', (chunk: string) => {
            bytes += Buffer.byteLength(chunk);
            const parts = (rest + chunk).split('\r\n');
            rest = parts.pop()!;
            for (const line of parts) {
              lines++;
              const n = Number(line.slice(0, line.indexOf(','))) - 1000;
              if (n >= 1 && n <= 100_000) {
                if (seen[n]) duplicates++;
                seen[n] = 1;
              }
            }
          });
          res.on('end', () => resolve());
          res.on('error', reject);
        });
        req.on('error', reject);
      });
    } finally {
      clearInterval(sampler);
    }
    expect(rest).toBe('');
    expect(lines).toBe(100_001); // the header and every order once
    expect(duplicates).toBe(0);
    expect(seen.subarray(1).every((v) => v === 1)).toBe(true);
    const growth = peak - baseline;
    // the file is over 80 MB and queuing it grew live RSS by 139 MB (write() returning false ignored):
    // a server buffering the file, or most of it, fails here
    expect(bytes).toBeGreaterThan(80 * 1024 * 1024);
    const growthMb = Math.round(growth / 1048576);
    expect([`live RSS grew ${growthMb} MB from ${Math.round(baseline / 1048576)} MB`, growthMb < 60]).toEqual([expect.any(String), true]);
  }, 120_000);

  it('stops querying when the client goes away mid-download', async () => {
    const active = async () =>
      Number(
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE $1`,
            [`${EXPORT_QUERY_MARKER}%`],
          )
        ).rows[0]!.n,
      );
    const latest = async () =>
      (
        await client.query<{ at: string | null }>(
          `SELECT max(query_start)::text AS at FROM pg_stat_activity WHERE datname = current_database() AND query LIKE $1`,
          [`${EXPORT_QUERY_MARKER}%`],
        )
      ).rows[0]!.at;
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const req = http.get(exportUrl('from=2025-03-01&to=2025-03-31'), { headers: { authorization: `Bearer ${adminToken}` } }, (res) => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 256 * 1024) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    const deadline = Date.now() + 5000;
    while ((await active()) > 0) {
      if (Date.now() > deadline) throw new Error('an export query was still running 5 s after the client left');
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = await latest();
    expect(before).not.toBeNull(); // the export did query
    await new Promise((r) => setTimeout(r, 1000));
    const newer = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE $1 AND query_start > $2::timestamptz`,
      [`${EXPORT_QUERY_MARKER}%`, before],
    );
    expect(Number(newer.rows[0]!.n)).toBe(0);
    // the access log has the download's line, with the rows it had sent
    const aborted = () => svc.logText().split('\n').filter((l) => l.includes('"request aborted"') && l.includes('/admin/orders/export'));
    while (aborted().length === 0) {
      if (Date.now() > deadline + 5000) throw new Error('no access-log line for the aborted export');
      await new Promise((r) => setTimeout(r, 50));
    }
    const line = JSON.parse(aborted()[0]!) as { status: number; rows_sent: number };
    expect(line.status).toBe(200);
    expect(line.rows_sent).toBeGreaterThan(0);
  }, 30_000);
});

describe('an export that fails after its first bytes', () => {
  let server: Server;
  let url: string;
  let logText = '';
  const SECRET = 'recognisable-secret-key-for-export-tests-0123456789';

  beforeAll(async () => {
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => (logText += chunk.toString()));
    const log = createLogger({ level: 'debug', service: 'order-service', destination });
    const fail = async (): Promise<never> => {
      throw new Error('not used');
    };
    const batch = { rows: 1, data: '1,ORD-1,2026-05-01T00:00:00.000Z,pending,pending,1,a@example.com,,USD,0.01,0.00,0.00,0.00,0.01,x,x,,x,US,,,0\r\n', last: { key: '2026-05-01T00:00:00.000000Z', id: 1 } };
    const orders: OrderUseCases = {
      createOrder: fail, listOrders: fail, getOrder: fail, updateOrder: fail, changeStatus: fail, cancelOrder: fail, adminListOrders: fail, stats: fail, searchOrders: fail,
      exportOrders: () => ({
        fileStem: 'orders-x',
        async *batches() {
          yield batch;
          await new Promise((r) => setTimeout(r, 50)); // as a next statement would: the first bytes are out
          throw Object.assign(new Error('syntax error at or near "SELECT secret FROM orders WHERE password = \'hunter2\'"'), { code: '42601' });
        },
      }),
    };
    const { app } = await createApp({ config: loadConfig({ SECRET_KEY: SECRET, LOG_LEVEL: 'debug' }), orders, log });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends the connection without the final chunk (the client sees a failed download), no SQL or stack in the response or the log', async () => {
    const token = await createTokens(SECRET).admin();
    const res = await fetch(`${url}/admin/orders/export?from=2026-05-01&to=2026-05-02`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    let failure: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeDefined();
    expect(text).toContain('ORD-1');
    expect(text).not.toMatch(/SELECT|hunter2|at .*\.ts:\d+/);
    await new Promise((r) => setTimeout(r, 50));
    expect(logText).toContain('request failed');
    expect(logText).not.toMatch(/SELECT|hunter2|\.ts:\d+/);
  });
});
