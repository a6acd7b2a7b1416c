// A batch read by COPY (a range up to a known position) is byte for byte the batch the text
// statement renders, whose output admin-export.test.ts checks against the rows: any text (quotes,
// commas, CR, LF, tabs, backslashes, control characters, "\.", empty, non-ASCII), in CSV and NDJSON;
// and a COPY batch that fills its limit is read again as text, with its last position.
import fc from 'fast-check';
import { createExportBatch } from '../../src/data/order-export-batch.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
const from = new Date('2024-01-01T00:00:00Z');
const to = new Date('2024-02-01T00:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', ',', '\r', '\n', '\t', '\\', '\\.', '\u0001', '\u007f', 'ß', '東', '📦'), maxLength: 12 });
  const [rows] = fc.sample(
    fc.array(fc.record({ texts: fc.tuple(text, fc.option(text), text, fc.option(text), fc.option(text)), cents: fc.nat(100_000_000), at: fc.integer({ min: from.getTime(), max: to.getTime() - 1 }), items: fc.nat(3) }), {
      minLength: 60,
      maxLength: 60,
    }),
    { seed: 20261202, numRuns: 1 },
  );
  for (const [i, r] of rows!.entries()) {
    await db.sequelize.query(
      `WITH o AS (
         INSERT INTO orders (order_number, user_id, customer_email, customer_phone, status, payment_status, currency, subtotal_cents, tax_cents, shipping_cents,
                             discount_cents, total_cents, shipping_address, shipping_city, shipping_state, shipping_postal_code, shipping_country, notes, created_at, updated_at)
         VALUES ($number, 1, $email, $phone, 'confirmed', 'paid', 'EUR', $cents, 0, 0, 0, $cents, $address, 'x', $state, '1', 'DE', $notes, $at, now())
         RETURNING id, created_at, total_cents)
       INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price_cents, total_price_cents, order_created_at, order_total_cents)
       SELECT o.id, g, 'p', 1, 1, 1, o.created_at, o.total_cents FROM o, generate_series(1, $items::int) g`,
      { bind: { number: `ORD-${i}`, email: `${r.texts[0]}@example.com`, phone: r.texts[1], cents: r.cents, address: r.texts[2], state: r.texts[3], notes: r.texts[4], at: new Date(r.at), items: r.items } },
    );
  }
});

afterAll(() => db?.drop());

test.each(['csv', 'ndjson'] as const)('%s: the COPY batch equals the text batch byte for byte', async (format) => {
  const batches = createExportBatch(db.sequelize);
  const text = await batches.exportBatch({ from, to, after: null, until: null, limit: 1000, format });
  expect(text.rows).toBe(60);
  const copied = await batches.exportBatch({ from, to, after: null, until: text.last, limit: 1000, format });
  expect(Buffer.isBuffer(copied.data)).toBe(true);
  expect([copied.rows, copied.last]).toEqual([60, null]);
  expect((copied.data as Buffer).toString('utf8')).toBe(text.data);
  // after a position, as the export's later batches start
  const firstHalf = await batches.exportBatch({ from, to, after: null, until: null, limit: 30, format });
  const secondHalf = await batches.exportBatch({ from, to, after: firstHalf.last, until: text.last, limit: 1000, format });
  expect(secondHalf.rows).toBe(30);
  expect(`${firstHalf.data}${String(secondHalf.data)}`).toBe(text.data);
});

test('a COPY batch that fills its limit comes again as text, with its last position', async () => {
  const batches = createExportBatch(db.sequelize);
  const text = await batches.exportBatch({ from, to, after: null, until: null, limit: 20, format: 'csv' });
  const all = await batches.exportBatch({ from, to, after: null, until: null, limit: 1000, format: 'csv' });
  const full = await batches.exportBatch({ from, to, after: null, until: all.last, limit: 20, format: 'csv' });
  expect(full).toEqual(text);
  expect(full.last).not.toBeNull();
});
