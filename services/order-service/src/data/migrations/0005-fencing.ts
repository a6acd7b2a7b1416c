// Facts for a transaction pooler: each take-over of an idempotency key gets a new fencing token
// (an order commits only with the token that holds the key), and each stock reservation names the
// transaction that held the products' locks, so crash repair asks PostgreSQL whether it is still
// running instead of trusting a session lock a pooler may have moved.

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    ALTER TABLE idempotency_keys ADD COLUMN token UUID;
    ALTER TABLE stock_reservations ADD COLUMN lock_xid BIGINT;
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('ALTER TABLE stock_reservations DROP COLUMN lock_xid; ALTER TABLE idempotency_keys DROP COLUMN token;');
};
