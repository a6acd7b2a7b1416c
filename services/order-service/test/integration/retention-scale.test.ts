// Retention at scale: 100 000 purgeable rows in each table, purged with the service's own policy
// (batches of RETENTION_BATCH_SIZE, 100 batches a run, a pause between them) while checkout-shaped
// transactions write the same three tables with a lock_timeout of 100 ms: no writer ever waits on
// the purge, every run stays within its budget of rows, and the live rows stay.
import { jest } from '@jest/globals';
import { QueryTypes, type Transaction } from 'sequelize';
import { createRetention, RETENTION_TABLES, type RetentionPolicy, type RetentionTable } from '../../src/data/retention.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

jest.setTimeout(180_000);

const ROWS = 100_000;
const LIVE = 1_000;
// main.ts's policy with the default batch size
const policy: RetentionPolicy = { outboxDeliveredHours: 24 * 7, reservationsSettledHours: 24 * 30, batchSize: 500, maxBatchesPerRun: 100, pauseMs: 50 };

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase({ poolMax: 8 });
  const q = (sql: string) => tdb.sequelize.query(sql);
  await q(`INSERT INTO outbox_events (event_id, type, order_id, user_id, payload, created_at, published_at, cart_cleared_at)
           SELECT gen_random_uuid(), 'order.created', g, 1, '{"total_amount":"10.00"}'::jsonb, now() - interval '10 days', now() - interval '10 days', now() - interval '10 days'
             FROM generate_series(1, ${ROWS}) g`);
  await q(`INSERT INTO outbox_events (event_id, type, order_id, user_id, payload, published_at, cart_cleared_at)
           SELECT gen_random_uuid(), 'order.created', g, 1, '{}'::jsonb, now(), now() FROM generate_series(1, ${LIVE}) g`);
  await q(`INSERT INTO stock_reservations (reservation_id, product_id, quantity, stock_before, stock_after, state, created_at, updated_at)
           SELECT gen_random_uuid(), g % 500 + 1, 1, 10, 9, CASE WHEN g % 2 = 0 THEN 'applied' ELSE 'compensated' END, now() - interval '40 days', now() - interval '40 days'
             FROM generate_series(1, ${ROWS}) g`);
  await q(`INSERT INTO stock_reservations (reservation_id, product_id, quantity, stock_before, stock_after, state)
           SELECT gen_random_uuid(), g % 500 + 1, 1, 10, 9, 'applied' FROM generate_series(1, ${LIVE}) g`);
  await q(`INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at, token)
           SELECT g % 1000, 'old-' || g, repeat('a', 64), 'done', now(), now() - interval '1 hour', gen_random_uuid() FROM generate_series(1, ${ROWS}) g`);
  await q(`INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at, token)
           SELECT g % 1000, 'live-' || g, repeat('a', 64), 'done', now(), now() + interval '1 day', gen_random_uuid() FROM generate_series(1, ${LIVE}) g`);
  await q('ANALYZE outbox_events; ANALYZE stock_reservations; ANALYZE idempotency_keys');
});
afterAll(async () => {
  await tdb.drop();
});

const count = async (sql: string) => Number((await tdb.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, { type: QueryTypes.SELECT }))[0]!.n);

/** What a checkout writes in these tables: a key claimed, a reservation recorded and applied, an event. */
async function checkoutShapedWrite(i: number): Promise<number> {
  const started = performance.now();
  await tdb.sequelize.transaction(async (transaction: Transaction) => {
    const q = (sql: string, bind: Record<string, unknown>) => tdb.sequelize.query(sql, { bind, transaction });
    await q("SELECT set_config('lock_timeout', '100ms', true)", {});
    await q(`INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at, token)
             VALUES ($u, $k, repeat('c', 64), 'in_flight', now() + interval '5 seconds', now() + interval '1 day', gen_random_uuid())`, { u: i % 1000, k: `writer-${i}` });
    await q(`UPDATE idempotency_keys SET state = 'done' WHERE user_id = $u AND key = $k`, { u: i % 1000, k: `writer-${i}` });
    await q(`INSERT INTO stock_reservations (reservation_id, product_id, quantity, stock_before, stock_after, state)
             VALUES (gen_random_uuid(), $p, 1, 10, 9, 'pending')`, { p: (i % 500) + 1 });
    await q(`UPDATE stock_reservations SET state = 'applied', updated_at = now() WHERE id = (SELECT max(id) FROM stock_reservations WHERE product_id = $p AND state = 'pending')`, { p: (i % 500) + 1 });
    await q(`INSERT INTO outbox_events (event_id, type, order_id, user_id, payload) VALUES (gen_random_uuid(), 'order.created', $o, 1, '{}'::jsonb)`, { o: 1_000_000 + i });
  });
  return performance.now() - started;
}

test(`purges ${ROWS} rows per table in bounded runs while checkout-shaped writes never wait on it`, async () => {
  const retention = createRetention(tdb.sequelize, { policy });
  const budget = policy.batchSize * policy.maxBatchesPerRun;

  let purging = true;
  const writes: number[] = [];
  const failures: string[] = [];
  const writer = (async () => {
    for (let i = 0; purging; i++) {
      await checkoutShapedWrite(i).then(
        (ms) => writes.push(ms),
        (err: unknown) => failures.push(String((err as { original?: Error }).original?.message ?? (err as Error).message)),
      );
    }
  })();

  const runs: Array<{ ms: number; rows: Record<RetentionTable, number> }> = [];
  try {
    for (;;) {
      const started = performance.now();
      const rows = await retention.purgeOnce();
      runs.push({ ms: Math.round(performance.now() - started), rows });
      for (const table of RETENTION_TABLES) expect(rows[table]).toBeLessThanOrEqual(budget);
      if (RETENTION_TABLES.every((t) => rows[t] === 0)) break;
      expect(runs.length).toBeLessThan(10);
    }
  } finally {
    purging = false;
    await writer;
  }

  const sorted = [...writes].sort((a, b) => a - b);
  const p = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  console.log(`retention at ${ROWS} rows per table: runs ${JSON.stringify(runs)}; ${writes.length} checkout-shaped writes during it, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms, ${failures.length} failed`);

  expect(failures.slice(0, 3)).toEqual([]); // the first few reasons, not thousands
  expect(writes.length).toBeGreaterThan(0);
  // 100 000 rows in runs of at most 50 000 per table: two full runs, then an empty one
  expect(runs.map((r) => r.rows.outbox_events)).toEqual([budget, budget, 0]);
  expect(runs.reduce((n, r) => n + r.rows.outbox_events, 0)).toBe(ROWS);
  expect(runs.reduce((n, r) => n + r.rows.stock_reservations, 0)).toBe(ROWS);
  expect(runs.reduce((n, r) => n + r.rows.idempotency_keys, 0)).toBe(ROWS);
  expect(await count('outbox_events')).toBe(LIVE + writes.length);
  expect(await count('stock_reservations')).toBe(LIVE + writes.length);
  expect(await count('idempotency_keys')).toBe(LIVE + writes.length);
});
