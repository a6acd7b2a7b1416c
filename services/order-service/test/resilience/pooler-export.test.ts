// The admin export and search through PgBouncer in transaction mode with TLS, and directly: the
// export reads keyset batches, each its own statement, so while a client holds a download back no
// server session sits in a transaction, and the file still has every order once, in order; a
// search walked by cursor through the pooler finds the same orders as a straight filter; a COPY
// batch keeps to the query deadline like any statement.

import http from 'node:http';
import { jest } from '@jest/globals';
import { copyOut } from '../../src/data/copy-out.js';
import { createDatabase } from '../../src/data/database.js';
import type { ServiceProcess } from '../support/process.js';
import { spawnService, until } from './support/harness.js';
import { ROUTES, pooledSuite, stopService, type StackDatabase } from './support/pooled-stack.js';

jest.setTimeout(120_000);

const ORDERS = 5000;
const { transcript, tokens, stack } = pooledSuite();

describe.each(ROUTES)('%s', (route) => {
  let db: StackDatabase;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await stack().createDatabase();
    service = await spawnService(
      { DATABASE_URL: db.urls[route], ...stack().tlsEnv(), MIGRATE_ON_START: 'true', OUTBOX_INTERVAL_MS: '600000' },
      transcript,
      `${route} service`,
    );
    // 2 kB of notes a row (a 10 MB file, more than the sockets hold), 50 rows per instant (ties)
    await db.query(`
      INSERT INTO orders (order_number, user_id, customer_email, status, payment_status, currency, subtotal_cents, tax_cents,
                          shipping_cents, discount_cents, total_cents, shipping_address, shipping_city, shipping_postal_code,
                          shipping_country, notes, created_at, updated_at)
      SELECT 'ORD-POOL-' || g, g % 10 + 1, 'pool' || (g % 10) || '@example.com', 'confirmed', 'paid', 'USD', g, 0, 0, 0, g,
             g || ' Pool Road', 'Springfield', '62701', 'US', repeat('p', 2000),
             '2026-02-01T00:00:00Z'::timestamptz + (g % 100) * interval '1 hour', now()
        FROM generate_series(1, ${ORDERS}) g`);
  });

  afterAll(async () => {
    await stopService(service);
    await db?.drop();
  });

  it('streams every order once, in order, and holds no transaction while the client holds back', async () => {
    const admin = await tokens.admin();
    const sessionsInTransaction = async () =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`))[0]!.n);
    const ids: number[] = [];
    let rest = '';
    let heldBack = -1;
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${service.url}/admin/orders/export?from=2026-02-01&to=2026-02-28`, { headers: { authorization: `Bearer ${admin}`, accept: 'text/csv' } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`export answered ${res.statusCode}`));
        res.setEncoding('utf8');
        res.pause();
        res.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\r\n');
          rest = lines.pop()!;
          for (const line of lines) {
            if (line.startsWith('id,')) continue;
            ids.push(Number(line.slice(0, line.indexOf(','))));
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
        // held back for a while: the export waits on the full socket, between statements
        setTimeout(() => {
          void sessionsInTransaction().then((n) => {
            heldBack = n;
            res.resume();
          }, reject);
        }, 1500);
      });
      req.on('error', reject);
    });
    expect(heldBack).toBe(0);
    expect(rest).toBe('');
    expect(ids).toHaveLength(ORDERS);
    const rows = await db.query<{ id: string }>(`SELECT id FROM orders ORDER BY created_at, id`);
    expect(ids).toEqual(rows.map((r) => Number(r.id)));
  });

  it('a COPY past the query deadline fails at it and its connection is closed; one within it leaves its connection in the pool', async () => {
    const DEADLINE_MS = 800;
    const pool = createDatabase({ url: db.urls[route], caFile: stack().caFile, poolMax: 1, queryTimeoutMs: DEADLINE_MS });
    try {
      const started = Date.now();
      await expect(copyOut(pool, () => 'COPY (SELECT pg_sleep(5)) TO STDOUT (FORMAT csv)', { crlf: true })).rejects.toThrow('Query read timeout');
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 1000);
      // one connection in the pool: kept, it would first wait out the sleep
      const next = Date.now();
      const copied = await copyOut(pool, () => `COPY (SELECT pg_backend_pid(), 'a' || chr(10) || 'b', nullif('', '') FROM generate_series(1, 2)) TO STDOUT (FORMAT csv)`, { crlf: true });
      expect(Date.now() - next).toBeLessThan(1500);
      const pid = copied.data.toString().split(',')[0];
      expect([copied.rows, copied.data.toString()]).toEqual([2, `${pid},"a\nb",\r\n${pid},"a\nb",\r\n`]);
      // past the deadline of the COPY that succeeded, its connection still serves the pool
      await new Promise((r) => setTimeout(r, DEADLINE_MS + 400));
      const after = Date.now();
      const again = (await pool.query('SELECT pg_backend_pid()::text AS pid', { plain: true })) as { pid: string };
      expect(Date.now() - after).toBeLessThan(500);
      // the same server session straight to PostgreSQL (PgBouncer may lend another)
      if (route === 'direct') expect(again.pid).toBe(pid);
    } finally {
      await pool.close();
    }
  });

  it('walks a search by cursor through the same connection path', async () => {
    const admin = await tokens.admin();
    const found: number[] = [];
    let cursor: string | null = null;
    await until(async () => {
      const res: Response = await fetch(`${service.url}/admin/orders?q=pool3@example.com&sort=-total_amount&size=100${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(res.status).toBe(200);
      found.push(...((await res.json()) as Array<{ id: number }>).map((o) => o.id));
      cursor = res.headers.get('x-next-cursor');
      return cursor === null ? true : undefined;
    }, 60_000);
    const want = await db.query<{ id: string }>(`SELECT id FROM orders WHERE customer_email = 'pool3@example.com' ORDER BY total_cents DESC, id DESC`);
    expect(found).toEqual(want.map((r) => Number(r.id)));
  });
});
