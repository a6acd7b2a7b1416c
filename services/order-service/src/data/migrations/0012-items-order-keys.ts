// A product's orders straight off an index in either sort: each item carries its order's created_at
// and total (copied at the insert; neither changes afterwards), indexed by product in each of the
// search's orders. They replace order_items_product_order_idx: one more index write per item.

import type { MigrationFn } from './index.js';

// orders per backfill statement: each statement stays well inside the statement deadline at any size
const CHUNK = 50_000;

export const up: MigrationFn = async ({ context: q }) => {
  await q.query('ALTER TABLE order_items ADD COLUMN order_created_at TIMESTAMPTZ, ADD COLUMN order_total_cents BIGINT');
  const [range] = await q.select('SELECT coalesce(min(id), 0) AS lo, coalesce(max(id), -1) AS hi FROM orders');
  for (let lo = Number(range!.lo); lo <= Number(range!.hi); lo += CHUNK) {
    await q.query(`UPDATE order_items i SET order_created_at = o.created_at, order_total_cents = o.total_cents
                     FROM orders o WHERE o.id = i.order_id AND o.id >= ${lo} AND o.id < ${lo + CHUNK} AND i.order_id >= ${lo} AND i.order_id < ${lo + CHUNK}`);
  }
  await q.query('ALTER TABLE order_items ALTER COLUMN order_created_at SET NOT NULL, ALTER COLUMN order_total_cents SET NOT NULL');
  // IF NOT EXISTS: an operator may build them CONCURRENTLY first, outside the migration's transaction
  await q.query('CREATE INDEX IF NOT EXISTS order_items_product_created_idx ON order_items (product_id, order_created_at DESC, order_id DESC)');
  await q.query('CREATE INDEX IF NOT EXISTS order_items_product_total_idx ON order_items (product_id, order_total_cents DESC, order_id DESC)');
  await q.query('DROP INDEX order_items_product_order_idx');
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE INDEX order_items_product_order_idx ON order_items (product_id, order_id);
    DROP INDEX order_items_product_total_idx;
    DROP INDEX order_items_product_created_idx;
    ALTER TABLE order_items DROP COLUMN order_created_at, DROP COLUMN order_total_cents;
  `);
};
