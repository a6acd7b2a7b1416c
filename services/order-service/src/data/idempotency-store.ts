// Idempotency keys in PostgreSQL (after the IETF httpapi Idempotency-Key draft): per caller and
// key, a fingerprint of the request and, once done, the first response — written in the same
// transaction as the order, so a committed order always has its response recorded.

import { QueryTypes, type Transaction } from 'sequelize';
import { Conflict, Unprocessable } from '../domain/errors.js';
import type { Database } from './database.js';

export type IdempotencyBegin = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

export interface IdempotencyOptions {
  ttlHours: number;
  /** how long an in-flight key is held before a retry may take it over (the first attempt died) */
  leaseSeconds?: number;
}

export function createIdempotencyStore(db: Database, options: IdempotencyOptions) {
  const lease = `${options.leaseSeconds ?? 30} seconds`;
  const ttl = `${options.ttlHours} hours`;

  async function begin(userId: number, key: string, fingerprint: string): Promise<IdempotencyBegin> {
    // claim the key: new, expired, or in flight with a lapsed lease and the same request
    const claimed = await db.query(
      `INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at)
       VALUES ($user, $key, $fp, 'in_flight', now() + $lease::interval, now() + $ttl::interval)
       ON CONFLICT (user_id, key) DO UPDATE
          SET fingerprint = EXCLUDED.fingerprint, state = 'in_flight', locked_until = EXCLUDED.locked_until,
              expires_at = EXCLUDED.expires_at, response_status = NULL, response_body = NULL, order_id = NULL,
              created_at = now()
        WHERE idempotency_keys.expires_at < now()
           OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.locked_until < now()
               AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
       RETURNING key`,
      { bind: { user: userId, key, fp: fingerprint, lease, ttl }, type: QueryTypes.SELECT },
    );
    if (claimed.length === 1) return { kind: 'new' };

    const [row] = await db.query<{ fingerprint: string; state: string; response_status: number | null; response_body: unknown }>(
      'SELECT fingerprint, state, response_status, response_body FROM idempotency_keys WHERE user_id = $user AND key = $key',
      { bind: { user: userId, key }, type: QueryTypes.SELECT },
    );
    if (!row) return begin(userId, key, fingerprint); // purged in between: claim again
    if (row.fingerprint !== fingerprint) {
      throw new Unprocessable('idempotency-key-reused', 'This Idempotency-Key was already used with a different request');
    }
    if (row.state === 'done') return { kind: 'replay', status: row.response_status ?? 201, body: row.response_body };
    throw new Conflict('A request with this Idempotency-Key is still being processed; retry shortly', {
      idempotency_key: key,
    });
  }

  async function complete(
    userId: number,
    key: string,
    response: { status: number; body: unknown; orderId: number },
    transaction: Transaction,
  ): Promise<void> {
    await db.query(
      `UPDATE idempotency_keys SET state = 'done', response_status = $status, response_body = $body::jsonb, order_id = $order
        WHERE user_id = $user AND key = $key`,
      {
        bind: { user: userId, key, status: response.status, body: JSON.stringify(response.body), order: response.orderId },
        transaction,
      },
    );
  }

  /** The request failed: free the key so a retry runs again (only successes are replayed). */
  async function release(userId: number, key: string): Promise<void> {
    await db.query(`DELETE FROM idempotency_keys WHERE user_id = $user AND key = $key AND state = 'in_flight'`, {
      bind: { user: userId, key },
    });
  }

  async function purgeExpired(): Promise<number> {
    const rows = await db.query('DELETE FROM idempotency_keys WHERE expires_at < now() RETURNING key', { type: QueryTypes.SELECT });
    return rows.length;
  }

  return { begin, complete, release, purgeExpired };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
