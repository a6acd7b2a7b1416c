// Indexes for the admin search: one per search form (order-number prefix, email, tracking number,
// product) and one for walking all orders by total; the created_at sort already has its index (0006).

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  // text_pattern_ops: a LIKE 'prefix%' can use it under any collation, not only C. IF NOT EXISTS:
  // an operator may build them CONCURRENTLY first, outside the migration's transaction
  await q.query(`
    CREATE INDEX IF NOT EXISTS orders_order_number_prefix_idx ON orders (order_number text_pattern_ops);
    CREATE INDEX IF NOT EXISTS orders_email_lower_created_idx ON orders (lower(customer_email), created_at DESC, id DESC);
    CREATE INDEX IF NOT EXISTS orders_tracking_number_idx ON orders (tracking_number) WHERE tracking_number IS NOT NULL;
    CREATE INDEX IF NOT EXISTS orders_total_idx ON orders (total_cents DESC, id DESC);
    CREATE INDEX IF NOT EXISTS order_items_product_order_idx ON order_items (product_id, order_id);
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query(`
    DROP INDEX order_items_product_order_idx;
    DROP INDEX orders_total_idx;
    DROP INDEX orders_tracking_number_idx;
    DROP INDEX orders_email_lower_created_idx;
    DROP INDEX orders_order_number_prefix_idx;
  `);
};
