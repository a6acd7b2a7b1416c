// Orphaned stock reservations are repaired per product under the product's lock before every new
// stock write (orders/stock-repair.ts): find a product's pending rows without a scan.

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE INDEX stock_reservations_pending_product_idx ON stock_reservations (product_id, id) WHERE state = 'pending';
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP INDEX stock_reservations_pending_product_idx;');
};
