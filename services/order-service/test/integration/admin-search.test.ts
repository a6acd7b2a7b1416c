// The admin search over random seeded orders, against a straight filter of the same rows in the
// test: each search form, both sorts in both directions, walked page by page with the cursor (no
// duplicates, no gaps, ties on the sort key included). Seeded (SEARCH_SEED), so a failure reproduces.
import pg from 'pg';
import { createOrderSearch } from '../../src/data/order-search.js';
import { createDatabase, type Database } from '../../src/data/database.js';
import { searchFormOf } from '../../src/orders/search-orders.js';
import { startTestService, type TestService } from '../support/service.js';

const SEED = Number(process.env.SEARCH_SEED ?? 20261201);
const COUNT = 400;

/** mulberry32: a small seeded generator, so the data is the same on every run */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seeded {
  id: number;
  orderNumber: string;
  email: string;
  tracking: string | null;
  products: number[];
  totalCents: number;
  /** UTC text with microseconds: sorts as the instant does */
  createdAt: string;
  status: string;
}

let svc: TestService;
let client: pg.Client;
let adminToken: string;
const rows: Seeded[] = [];

beforeAll(async () => {
  svc = await startTestService({ env: { REDIS_URL: '' } });
  adminToken = await svc.tokens.admin();
  client = new pg.Client({ connectionString: svc.config.databaseUrl });
  await client.connect();
  const next = random(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  // few distinct instants and totals, so many rows tie on the sort key (some within one millisecond)
  const instants = Array.from({ length: 25 }, (_, i) => `2026-0${1 + (i % 3)}-1${i % 10}T10:00:00.${String(123000 + (i % 4)).padStart(6, '0')}Z`);
  const emails = ['Ann@Example.com', 'ann@example.com', 'bob@example.com', 'ZOË@example.com', 'carol@example.org'];
  const trackings = ['1Z999AA10123456784', '123456789012', '9400111899223197428490', 'TRK-%_1'];
  const statuses = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'];
  for (let id = 1; id <= COUNT; id++) {
    const day = pick(['20260110', '20260111', '20260212']);
    const suffix = Array.from({ length: 8 }, () => pick([...'23456789ABCDEFGH'])).join('');
    rows.push({
      id,
      orderNumber: `ORD-${day}-${suffix}`,
      email: pick(emails),
      tracking: next() < 0.5 ? null : pick(trackings),
      products: [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => 1 + Math.floor(next() * 12)))],
      totalCents: pick([999, 1500, 2000, 2000, 12345, 0]),
      createdAt: pick(instants),
      status: pick(statuses),
    });
  }
  await client.query(
    `INSERT INTO orders (id, order_number, user_id, customer_email, status, payment_status, currency, subtotal_cents, tax_cents,
                         shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_postal_code,
                         shipping_country, tracking_number, created_at, updated_at)
     SELECT id, num, 1 + id % 7, email, status, 'pending', 'USD', total, 0, 0, 0, total, '1 Main St', 'Springfield', '62701', 'US',
            tracking, created::timestamptz, now()
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) AS t(id, num, email, status, total, tracking, created)`,
    [rows.map((r) => r.id), rows.map((r) => r.orderNumber), rows.map((r) => r.email), rows.map((r) => r.status), rows.map((r) => r.totalCents), rows.map((r) => r.tracking), rows.map((r) => r.createdAt)],
  );
  const items = rows.flatMap((r) => r.products.map((p) => [r.id, p] as const));
  await client.query(
    `INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price_cents, total_price_cents, order_created_at, order_total_cents)
     SELECT t.o, t.p, 'Product ' || t.p, 1, 0, 0, ord.created_at, ord.total_cents FROM unnest($1::bigint[], $2::bigint[]) AS t(o, p) JOIN orders ord ON ord.id = t.o`,
    [items.map((i) => i[0]), items.map((i) => i[1])],
  );
  await client.query(`SELECT setval('orders_id_seq', ${COUNT})`);
}, 60_000);

afterAll(async () => {
  await client?.end();
  await svc?.stop();
});

async function get(query: string, token: string | null = adminToken) {
  const res = await fetch(`${svc.url}/admin/orders?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { res, body: (await res.json()) as Array<Record<string, unknown>> & Record<string, unknown> };
}

/** Every page of a search, following X-Next-Cursor; the ids in the order they came. */
async function walk(params: Record<string, string>, size: number): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < COUNT + 2; pages++) {
    const query = new URLSearchParams({ ...params, size: String(size), ...(cursor ? { cursor } : {}) });
    const { res, body } = await get(query.toString());
    expect([res.status, res.status === 200 ? '' : body]).toEqual([200, '']);
    ids.push(...body.map((o) => o.id as number));
    cursor = res.headers.get('x-next-cursor');
    if (cursor === null) {
      expect(res.headers.get('link')).toBeNull();
      return ids;
    }
    expect(body).toHaveLength(size);
    expect(res.headers.get('link')).toContain(`cursor=${encodeURIComponent(cursor)}`);
  }
  throw new Error('the search never ended');
}

const SORTS = ['-created_at', 'created_at', '-total_amount', 'total_amount'] as const;

function expected(match: (r: Seeded) => boolean, sort: (typeof SORTS)[number]): number[] {
  const key = (r: Seeded) => (sort.endsWith('total_amount') ? r.totalCents : r.createdAt);
  const sign = sort.startsWith('-') ? -1 : 1;
  return rows
    .filter(match)
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return sign * (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id);
    })
    .map((r) => r.id);
}

const FORMS: Array<[string, string, (r: Seeded) => boolean]> = [
  ['an order number prefix (a day)', 'ORD-20260111', (r) => r.orderNumber.startsWith('ORD-20260111')],
  ['an order number prefix in lower case', 'ord-2026021', (r) => r.orderNumber.startsWith('ORD-2026021')],
  ['an email in another case', 'ANN@example.COM', (r) => r.email.toLowerCase() === 'ann@example.com'],
  ['an email with a non-ASCII letter', 'zoë@example.com', (r) => r.email.toLowerCase() === 'zoë@example.com'],
  ['a tracking number', '1Z999AA10123456784', (r) => r.tracking === '1Z999AA10123456784'],
  ['a long all-digit tracking number', '9400111899223197428490', (r) => r.tracking === '9400111899223197428490'],
  ['an explicit tracking: with digits', 'tracking:123456789012', (r) => r.tracking === '123456789012'],
  ['a tracking number with LIKE characters (matched literally)', 'TRK-%_1', (r) => r.tracking === 'TRK-%_1'],
  ['a product id', '7', (r) => r.products.includes(7)],
  ['an explicit product:', 'product:3', (r) => r.products.includes(3)],
  ['nothing (every order)', '', () => true],
];

describe('GET /admin/orders search', () => {
  it.each(FORMS)('%s finds exactly the matching orders, in every sort, walked by cursor', async (_name, q, match) => {
    for (const sort of SORTS) {
      const params: Record<string, string> = q === '' ? { sort } : { q, sort };
      const want = expected(match, sort);
      expect(want.length).toBeGreaterThan(0);
      const got = await walk(params, 7);
      expect(new Set(got).size).toBe(got.length);
      expect(got).toEqual(want);
    }
  });

  it("a product's orders page off its items' indexes in every sort, with a range and a status beside it", async () => {
    const db = createDatabase({ url: svc.config.databaseUrl, poolMax: 1 });
    try {
      const store = createOrderSearch(db);
      const filters: Array<[string, { from?: Date; to?: Date; status?: 'shipped' }, (r: Seeded) => boolean]> = [
        ['no filter', {}, () => true],
        ['February', { from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') }, (r) => r.createdAt.startsWith('2026-02')],
        ['shipped', { status: 'shipped' }, (r) => r.status === 'shipped'],
      ];
      for (const [name, filter, match] of filters) {
        for (const sort of SORTS) {
          const direction = sort.startsWith('-') ? 'desc' : 'asc';
          const field = sort.replace('-', '') as 'created_at' | 'total_amount';
          const ids: number[] = [];
          let after: { key: string; id: number } | undefined;
          for (;;) {
            const page = await store.search({ form: { kind: 'product', productId: 4 }, ...filter, sort: field, direction, after, limit: 6, offset: 0 });
            ids.push(...page.items.map((o) => o.id));
            if (!page.next) break;
            after = page.next;
          }
          expect([name, sort, ids]).toEqual([name, sort, expected((r) => r.products.includes(4) && match(r), sort)]);
        }
      }
    } finally {
      await db.close();
    }
  });

  it('combines the search with the list filters (status, user_id, from, to)', async () => {
    const got = await walk({ q: 'ann@example.com', status: 'shipped', from: '2026-01-11', to: '2026-02-28' }, 3);
    const want = expected(
      (r) => r.email.toLowerCase() === 'ann@example.com' && r.status === 'shipped' && r.createdAt >= '2026-01-11' && r.createdAt < '2026-03-01',
      '-created_at',
    );
    expect(got).toEqual(want);
    const byUser = await walk({ q: 'product:5', user_id: '3' }, 4);
    expect(byUser).toEqual(expected((r) => r.products.includes(5) && 1 + (r.id % 7) === 3, '-created_at'));
  });

  it('pages by page/size too (no cursor), in the same order, and answers the list shape', async () => {
    const want = expected((r) => r.products.includes(2), 'total_amount');
    const first = await get('q=2&sort=total_amount&size=5&page=1');
    const second = await get('q=2&sort=total_amount&size=5&page=2');
    expect([...first.body, ...second.body].map((o) => o.id)).toEqual(want.slice(0, 10));
    expect(svc.validateResponse('adminListOrders', 200, first.body)).toEqual([]);
    expect(Object.keys(first.body[0]!).sort()).toEqual(
      ['created_at', 'currency', 'customer_email', 'id', 'item_count', 'order_number', 'payment_status', 'status', 'total_amount', 'user_id'],
    );
  });

  it('leaves the plain list as it was: page/size, X-Total-Count and Link, no cursor', async () => {
    const { res, body } = await get('page=2&size=10');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-total-count')).toBe(String(COUNT));
    expect(res.headers.get('x-next-cursor')).toBeNull();
    expect(body.map((o) => o.id)).toEqual(expected(() => true, '-created_at').slice(10, 20));
  });

  it('refuses a cursor of another search or sort, a forged cursor, cursor with page > 1, and a bad product id', async () => {
    const first = await get('q=ann@example.com&size=2');
    const cursor = first.res.headers.get('x-next-cursor')!;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const query of [
      `q=bob@example.com&size=2&cursor=${cursor}`,
      `q=ann@example.com&size=2&sort=total_amount&cursor=${cursor}`,
      `q=ann@example.com&size=2&page=3&cursor=${cursor}`,
      'q=ann@example.com&cursor=bm90LWEtY3Vyc29y',
      `q=ann@example.com&cursor=${Buffer.from(JSON.stringify({ s: '-created_at', f: 'x', k: "1'; --", i: 1 })).toString('base64url')}`,
      'q=product:0',
      'q=product:abc',
      'sort=status',
    ]) {
      const { res, body } = await get(query);
      expect([query, res.status, res.headers.get('content-type'), body.type]).toEqual([
        query,
        400,
        'application/problem+json; charset=utf-8',
        'https://orders.ecommerce.dev/problems/validation-failed',
      ]);
    }
  });

  it.each([
    ['an order-number prefix', 'ORD-20260111', 'created_at', /orders_order_number_prefix_idx/],
    ['an email', 'ANN@example.com', 'created_at', /orders_email_lower_created_idx/],
    ['an email, by total', 'ANN@example.com', 'total_amount', /orders_email_lower_created_idx/],
    ['a tracking number', '1Z999AA10123456784', 'created_at', /orders_tracking_number_idx/],
    // a few rows here: either product index may serve (at 1 M rows each sort takes its own, docs/performance.md)
    ['a product', 'product:7', 'created_at', /order_items_product_(created|total)_idx/],
    ['a product, by total', 'product:7', 'total_amount', /order_items_product_(created|total)_idx/],
    ['no q, by total', null, 'total_amount', /orders_total_idx/],
    ['no q, by created_at', null, 'created_at', /orders_created_covering_idx/],
  ] as const)('the statement for %s can run on its index (EXPLAIN, sequential scans off as at 1 M rows)', async (_name, q, sort, index) => {
    // the service's own SQL and parameters, captured, then explained on the test's connection
    let captured: { sql: string; bind: Record<string, unknown> } | undefined;
    const capture = {
      query: async (sql: string, options: { bind: Record<string, unknown> }) => {
        captured = { sql, bind: options.bind };
        return [];
      },
    };
    await createOrderSearch(capture as unknown as Database).search({ form: q === null ? undefined : searchFormOf(q), sort, direction: 'desc', limit: 20, offset: 0 });
    const keys = Object.keys(captured!.bind);
    const sql = captured!.sql.replace(/\$(\w+)/g, (_m, k: string) => `$${keys.indexOf(k) + 1}`);
    await client.query('SET enable_seqscan = off');
    try {
      const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, keys.map((k) => captured!.bind[k]));
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(index);
      expect(text).not.toMatch(/Seq Scan on orders/);
    } finally {
      await client.query('RESET enable_seqscan');
    }
  });

  it('is for admins: 401 without a token, 403 for a shopper, also on the storefront twin GET /admin', async () => {
    expect((await get('q=ann@example.com', null)).res.status).toBe(401);
    const shopper = await svc.tokens.user(5);
    expect((await get('q=ann@example.com', shopper)).res.status).toBe(403);
    const twin = await fetch(`${svc.url}/admin?q=ann@example.com&size=100`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(twin.status).toBe(200);
    expect(((await twin.json()) as Array<{ id: number }>).map((o) => o.id)).toEqual(
      expected((r) => r.email.toLowerCase() === 'ann@example.com', '-created_at').slice(0, 100),
    );
  });
});
