// Retention: delivered outbox events, settled reservations, expired idempotency keys and settled webhook deliveries go after
// their age, in batches of batchSize (a run stops at maxBatchesPerRun), skipping rows someone holds;
// undelivered events, pending or disputed reservations and live keys stay.
import pg from 'pg';
import { QueryTypes } from 'sequelize';
import { createRetention, type RetentionPolicy } from '../../src/data/retention.js';
import { createServiceMetrics } from '../../src/http/metrics.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

const policy: RetentionPolicy = { outboxDeliveredHours: 24 * 7, reservationsSettledHours: 24 * 30, batchSize: 500, maxBatchesPerRun: 3, pauseMs: 1 };
const count = async (sql: string) => Number((await tdb.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, { type: QueryTypes.SELECT }))[0]!.n);

async function seed(): Promise<void> {
  const q = (sql: string) => tdb.sequelize.query(sql);
  const outbox = (n: number, age: string, published: boolean, cleared: boolean) =>
    q(`INSERT INTO outbox_events (event_id, type, order_id, user_id, payload, created_at, published_at, cart_cleared_at)
       SELECT gen_random_uuid(), 'order.created', g, 1, '{}'::jsonb, now() - interval '${age}',
              ${published ? `now() - interval '${age}'` : 'NULL'}, ${cleared ? `now() - interval '${age}'` : 'NULL'}
         FROM generate_series(1, ${n}) g`);
  await outbox(4_000, '10 days', true, true); // delivered long ago: purged
  await outbox(100, '1 day', true, true); // delivered recently: kept
  await outbox(30, '10 days', true, false); // published, cart never cleared: kept
  await outbox(20, '10 days', false, true); // never published: kept
  const reservations = (n: number, state: string, age: string) =>
    q(`INSERT INTO stock_reservations (reservation_id, product_id, quantity, stock_before, stock_after, state, created_at, updated_at)
       SELECT gen_random_uuid(), g % 50 + 1, 1, 10, 9, '${state}', now() - interval '${age}', now() - interval '${age}' FROM generate_series(1, ${n}) g`);
  await reservations(2_000, 'applied', '40 days');
  await reservations(1_000, 'compensated', '40 days');
  await reservations(50, 'applied', '2 days');
  await reservations(20, 'pending', '40 days');
  await reservations(10, 'needs_review', '40 days');
  const keys = (n: number, from: number, expires: string) =>
    q(`INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at, token)
       SELECT g % 100, 'k' || g, repeat('a', 64), 'done', now(), now() + interval '${expires}', gen_random_uuid() FROM generate_series(${from}, ${from + n - 1}) g`);
  await keys(2_500, 1, '-1 hour');
  await keys(100, 100_000, '23 hours');
}

test('purges in batches (a run stops at maxBatchesPerRun), counts the rows, keeps every live row', async () => {
  await seed();
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const retention = createRetention(tdb.sequelize, { policy, purged: metrics.retentionPurged });

  // one run: three batches of 500 per table at most
  expect(await retention.purgeOnce()).toEqual({ outbox_events: 1_500, stock_reservations: 1_500, idempotency_keys: 1_500, webhook_deliveries: 0 });
  const purged = async (table: string) => (await metrics.retentionPurged.get()).values.find((v) => v.labels.table === table)?.value;
  expect(await purged('outbox_events')).toBe(1_500);

  // the next runs finish the job, the last batch short
  expect(await retention.purgeOnce()).toEqual({ outbox_events: 1_500, stock_reservations: 1_500, idempotency_keys: 1_000, webhook_deliveries: 0 });
  expect(await retention.purgeOnce()).toEqual({ outbox_events: 1_000, stock_reservations: 0, idempotency_keys: 0, webhook_deliveries: 0 });
  expect(await retention.purgeOnce()).toEqual({ outbox_events: 0, stock_reservations: 0, idempotency_keys: 0, webhook_deliveries: 0 });
  expect(await purged('outbox_events')).toBe(4_000);
  expect(await purged('stock_reservations')).toBe(3_000);
  expect(await purged('idempotency_keys')).toBe(2_500);

  expect(await count('outbox_events')).toBe(150);
  expect(await count("outbox_events WHERE published_at IS NULL OR cart_cleared_at IS NULL")).toBe(50);
  expect(await count('stock_reservations')).toBe(80);
  expect(await count("stock_reservations WHERE state IN ('pending', 'needs_review')")).toBe(30);
  expect(await count('idempotency_keys')).toBe(100);
  expect(await count('idempotency_keys WHERE expires_at < now()')).toBe(0);
});

test('never waits on a row a transaction holds: it is skipped, and purged once released', async () => {
  await tdb.sequelize.query(`INSERT INTO outbox_events (event_id, type, order_id, user_id, payload, published_at, cart_cleared_at)
    SELECT gen_random_uuid(), 'order.created', g, 1, '{}'::jsonb, now() - interval '30 days', now() - interval '30 days' FROM generate_series(1, 10) g`);
  const retention = createRetention(tdb.sequelize, { policy });
  // another session (a relay's claim, a checkout) holds one of the purgeable rows
  const holder = new pg.Client({ connectionString: tdb.url });
  await holder.connect();
  try {
    const held = await holder.query<{ id: string }>(
      "BEGIN; SELECT id FROM outbox_events WHERE cart_cleared_at < now() - interval '20 days' ORDER BY id LIMIT 1 FOR UPDATE",
    ) as unknown as Array<{ rows: Array<{ id: string }> }>;
    const id = Number(held[1]!.rows[0]!.id);
    const started = Date.now();
    expect((await retention.purgeOnce()).outbox_events).toBe(9);
    expect(Date.now() - started).toBeLessThan(2_000); // no lock wait
    expect(await count(`outbox_events WHERE id = ${id}`)).toBe(1);
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
  expect((await retention.purgeOnce()).outbox_events).toBe(1);
});

test('start runs a purge every interval until stopped', async () => {
  await tdb.sequelize.query(`INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at, token)
    VALUES (1, 'expired-by-the-timer', repeat('b', 64), 'done', now(), now() - interval '1 minute', gen_random_uuid())`);
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const retention = createRetention(tdb.sequelize, { policy, purged: metrics.retentionPurged });
  retention.start(20);
  try {
    const deadline = Date.now() + 10_000;
    while ((await count("idempotency_keys WHERE key = 'expired-by-the-timer'")) > 0) {
      if (Date.now() > deadline) throw new Error('not purged in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await retention.stop();
  }
  expect((await metrics.retentionPurged.get()).values.find((v) => v.labels.table === 'idempotency_keys')?.value).toBe(1);
});

test('settled webhook deliveries go after RETENTION_OUTBOX_HOURS; pending and recent ones stay', async () => {
  const q = (sql: string) => tdb.sequelize.query(sql);
  await q(`INSERT INTO webhook_endpoints (url, event_types, secret) VALUES ('https://hooks.example.com/r', '{order.created}', 'whsec_AAAA')`);
  const deliveries = (state: string, age: string, n: number) =>
    q(`INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, order_id, state, updated_at)
       SELECT (SELECT max(id) FROM webhook_endpoints), gen_random_uuid(), 'order.created', g, '${state}', now() - interval '${age}' FROM generate_series(1, ${n}) g`);
  await deliveries('delivered', '10 days', 3);
  await deliveries('failed', '10 days', 2);
  await deliveries('pending', '10 days', 4); // still being retried: kept whatever its age
  await deliveries('delivered', '1 day', 5);
  const retention = createRetention(tdb.sequelize, { policy });
  expect((await retention.purgeOnce()).webhook_deliveries).toBe(5);
  expect(await count("webhook_deliveries WHERE state = 'pending'")).toBe(4);
  expect(await count('webhook_deliveries')).toBe(9);
});
