// Idempotency keys in PostgreSQL (after the IETF httpapi Idempotency-Key draft): per caller and
// key, a fingerprint of the request and, once done, the first response — written in the same
// transaction as the order, so a committed order always has its response recorded. Each claim of a
// key (the first, or a take-over after a lapsed lease) gets a new fencing token; the order's
// transaction locks the key's row and commits only while its token still holds the key, so a request
// stalled past its lease can never add a second order beside its retry's.

import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { Conflict, Unprocessable } from '../domain/errors.js';
import { KeyTakenOver, type IdempotencyBegin, type IdempotencyStore, type KeyClaim, type RecordedResponse, type Tx } from '../orders/ports.js';
import { codeOf, type Database } from './database.js';
import { transactionOf } from './unit-of-work.js';

export interface IdempotencyOptions {
  ttlHours: number;
  /** how long an in-flight key is held before a retry may take it over (the first attempt died) */
  leaseSeconds?: number;
}

function inFlight(key: string): Conflict {
  return new Conflict('A request with this Idempotency-Key is still being processed; retry shortly', { idempotency_key: key });
}

// only the claim that holds a key (its token, still in flight) records its response
const COMPLETE = `UPDATE idempotency_keys k SET state = 'done', response_status = c.status, response_body = c.body, order_id = c.order_id
    FROM jsonb_to_recordset($entries::jsonb) AS c(user_id bigint, key text, token uuid, status int, body jsonb, order_id bigint)
   WHERE k.user_id = c.user_id AND k.key = c.key AND k.token = c.token AND k.state = 'in_flight'
  RETURNING k.user_id, k.key`;

export function createIdempotencyStore(db: Database, options: IdempotencyOptions): IdempotencyStore {
  const lease = `${options.leaseSeconds ?? 30} seconds`;
  const ttl = `${options.ttlHours} hours`;

  /**
   * Claims the key: a new one, or one past its TTL, or one in flight whose lease lapsed (its request
   * died or stalled) for the same request. Never waits: a key whose row an order transaction holds
   * is in flight (409), so retries do not pile up on pool connections behind a checkout.
   */
  async function begin(userId: number, key: string, fingerprint: string): Promise<IdempotencyBegin> {
    const token = randomUUID();
    const bind = { user: userId, key, fp: fingerprint, lease, ttl, token };
    const inserted = await db.query(
      `INSERT INTO idempotency_keys (user_id, key, fingerprint, state, locked_until, expires_at, token)
       VALUES ($user, $key, $fp, 'in_flight', now() + $lease::interval, now() + $ttl::interval, $token)
       ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
      { bind, type: QueryTypes.SELECT },
    );
    if (inserted.length === 1) return { kind: 'new', token };
    if (await takeOver(db, bind)) return { kind: 'new', token };
    const found = await outcome(userId, key, fingerprint);
    return found ?? begin(userId, key, fingerprint); // purged in between: claim again
  }

  /** What a key says to a request that does not hold it: replay, 422 for another body, 409 in flight; null when gone. */
  async function outcome(userId: number, key: string, fingerprint: string): Promise<IdempotencyBegin | null> {
    const [row] = await db.query<{ fingerprint: string; state: string; response_status: number | null; response_body: unknown }>(
      'SELECT fingerprint, state, response_status, response_body FROM idempotency_keys WHERE user_id = $user AND key = $key',
      { bind: { user: userId, key }, type: QueryTypes.SELECT },
    );
    if (!row) return null;
    if (row.fingerprint !== fingerprint) {
      throw new Unprocessable('idempotency-key-reused', 'This Idempotency-Key was already used with a different request');
    }
    if (row.state === 'done') return { kind: 'replay', status: row.response_status ?? 201, body: row.response_body };
    throw inFlight(key);
  }

  /**
   * Locks the claimed keys' rows for the order transaction (in one order, so two transactions cannot
   * deadlock) and returns the claims that no longer hold their key: a retry took it over. A take-over
   * now waits for this transaction, and finds the key done when it commits.
   */
  async function hold(claims: KeyClaim[], tx: Tx): Promise<Set<KeyClaim>> {
    if (claims.length === 0) return new Set();
    const rows = await db.query<{ user_id: string; key: string; token: string | null }>(
      `SELECT k.user_id, k.key, k.token::text AS token FROM idempotency_keys k
         JOIN (SELECT * FROM jsonb_to_recordset($claims::jsonb) AS c(user_id bigint, key text)) c
           ON k.user_id = c.user_id AND k.key = c.key
        WHERE k.state = 'in_flight' ORDER BY k.user_id, k.key FOR UPDATE OF k`,
      { bind: { claims: JSON.stringify(claims.map((c) => ({ user_id: c.userId, key: c.key }))) }, type: QueryTypes.SELECT, transaction: transactionOf(tx) },
    );
    const holders = new Set(rows.map((r) => `${r.user_id}\u0000${r.key}\u0000${r.token}`));
    return new Set(claims.filter((c) => !holders.has(`${c.userId}\u0000${c.key}\u0000${c.token}`)));
  }

  /** Records each response with its order; only a claim that holds its key may (hold() checked it). */
  async function completeAll(entries: Array<{ claim: KeyClaim; response: RecordedResponse }>, tx: Tx): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(({ claim, response }) => ({ user_id: claim.userId, key: claim.key, token: claim.token, status: response.status, body: response.body, order_id: response.orderId }));
    const done = await db.query<{ user_id: string; key: string }>(COMPLETE, { bind: { entries: JSON.stringify(rows) }, type: QueryTypes.SELECT, transaction: transactionOf(tx) });
    if (done.length === entries.length) return;
    const recorded = new Set(done.map((r) => `${r.user_id}\u0000${r.key}`));
    const lost = entries.find(({ claim }) => !recorded.has(`${claim.userId}\u0000${claim.key}`))!;
    throw new KeyTakenOver(lost.claim); // rolls the orders back with it
  }

  /** The request failed: free the key so a retry runs again (only successes are replayed), unless a retry holds it now. */
  async function release(claim: KeyClaim): Promise<void> {
    await db.query(`DELETE FROM idempotency_keys WHERE user_id = $user AND key = $key AND token = $token AND state = 'in_flight'`, {
      bind: { user: claim.userId, key: claim.key, token: claim.token },
    });
  }

  // expired keys are deleted in batches by data/retention.ts
  return { begin, outcome, hold, completeAll, release };
}

/**
 * Takes over a key past its TTL, or in flight for the same request past its lease; never waits for
 * a key an order transaction holds (409 in flight).
 */
async function takeOver(db: Database, bind: { user: number; key: string; fp: string; lease: string; ttl: string; token: string }): Promise<boolean> {
  try {
    const taken = await db.query(
      `WITH free AS (
         SELECT user_id, key FROM idempotency_keys
          WHERE user_id = $user AND key = $key
            AND (expires_at < now() OR (state = 'in_flight' AND locked_until < now() AND fingerprint = $fp))
            FOR UPDATE NOWAIT)
       UPDATE idempotency_keys k
          SET fingerprint = $fp, state = 'in_flight', locked_until = now() + $lease::interval, token = $token,
              expires_at = now() + $ttl::interval, response_status = NULL, response_body = NULL, order_id = NULL, created_at = now()
         FROM free WHERE k.user_id = free.user_id AND k.key = free.key
       RETURNING k.key`,
      { bind, type: QueryTypes.SELECT },
    );
    return taken.length === 1;
  } catch (err) {
    if (codeOf(err) !== '55P03') throw err;
    throw inFlight(bind.key); // an order transaction is deciding this key right now
  }
}
