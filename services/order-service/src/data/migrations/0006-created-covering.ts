// The created_at index carries status and total_cents, so the statistics' partial edge days are
// index-only scans; it replaces orders_created_idx (same keys), so a checkout writes no extra index.

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE INDEX orders_created_covering_idx ON orders (created_at DESC, id DESC) INCLUDE (status, total_cents);
    DROP INDEX orders_created_idx;
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
    DROP INDEX orders_created_covering_idx;
  `);
};
