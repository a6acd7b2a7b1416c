// Serialises stock writers per product across replicas with transaction-scoped advisory locks
// (pg_advisory_xact_lock, ascending product order so two checkouts cannot deadlock), held by one
// transaction that also commits the orders: nothing lives in a session, so a transaction pooler
// (PgBouncer in transaction mode, Neon's pooled endpoint) keeps the guarantee. An in-process queue
// in front only spares PostgreSQL the waiters of this replica; the database lock is the guard.

import { QueryTypes, type Transaction } from 'sequelize';
import { DependencyUnavailable } from '../domain/errors.js';
import { codeOf, type Database } from './database.js';

export interface LockDeadlines {
  /** how long to wait for another replica's checkout of the same products */
  lockTimeoutMs: number;
  /** any one statement of the checkout */
  statementTimeoutMs: number;
  /** between statements (peer calls happen there): a stalled process's locks are freed after it */
  idleTimeoutMs: number;
}

export const DEFAULT_LOCK_DEADLINES: LockDeadlines = { lockTimeoutMs: 3_000, statementTimeoutMs: 5_000, idleTimeoutMs: 15_000 };

/** The open transaction holding the locks: queries in it see and write under them. */
export interface LockedCheckout {
  transaction: Transaction;
  /** the holding transaction's id, recorded with every reservation it makes (crash repair asks its fate) */
  xid: string;
  /** true while the session holding the locks is still there (also when its transaction is aborted) */
  stillHeld(): Promise<boolean>;
}

const localTails = new Map<number, Promise<void>>();

/** Waits for this process's earlier holders of `id`; returns the release function. */
async function localLock(id: number): Promise<() => void> {
  const previous = localTails.get(id) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = previous.then(() => mine);
  localTails.set(id, tail);
  await previous;
  return () => {
    release();
    if (localTails.get(id) === tail) localTails.delete(id);
  };
}

/**
 * A checkout under its locks may need a second connection (its reservation is committed on its own
 * before the product service is called), so at most half the pool holds lock transactions: with
 * more, every connection could be a lock holder waiting for a second one.
 */
const holderSlots = new WeakMap<Database, { free: number; waiting: Array<() => void> }>();

async function takeHolderSlot(db: Database): Promise<() => void> {
  let slots = holderSlots.get(db);
  if (!slots) {
    slots = { free: Math.max(1, Math.floor((db.config.pool?.max ?? 10) / 2)), waiting: [] };
    holderSlots.set(db, slots);
  }
  const s = slots;
  if (s.free > 0) s.free -= 1;
  else await new Promise<void>((resolve) => s.waiting.push(resolve));
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = s.waiting.shift();
    if (next) next(); // the slot passes straight on
    else s.free += 1;
  };
}

export async function withProductLocks<T>(
  db: Database,
  productIds: number[],
  fn: (locked: LockedCheckout) => Promise<T>,
  deadlines: LockDeadlines = DEFAULT_LOCK_DEADLINES,
): Promise<T> {
  const ids = [...new Set(productIds)].sort((a, b) => a - b);
  const releases: Array<() => void> = [];
  try {
    for (const id of ids) releases.push(await localLock(id));
    releases.push(await takeHolderSlot(db));
    return await db.transaction(async (transaction) => {
      const [row] = await db.query<{ xid: string }>(
        `SELECT set_config('lock_timeout', $lock, true), set_config('statement_timeout', $statement, true),
                set_config('idle_in_transaction_session_timeout', $idle, true), pg_current_xact_id()::text AS xid`,
        {
          bind: { lock: `${deadlines.lockTimeoutMs}ms`, statement: `${deadlines.statementTimeoutMs}ms`, idle: `${deadlines.idleTimeoutMs}ms` },
          type: QueryTypes.SELECT,
          transaction,
        },
      );
      try {
        // the ordered subquery feeds the lateral call row by row: locks are taken in ascending order
        await db.query(
          `SELECT count(l.*) FROM (SELECT id FROM unnest($ids::bigint[]) AS id ORDER BY id) s,
             LATERAL (SELECT pg_advisory_xact_lock(hashtextextended('orders:stock:' || s.id::text, 0))) l`,
          { bind: { ids }, type: QueryTypes.SELECT, transaction },
        );
      } catch (err) {
        // lock_timeout, or the statement's own deadline while waiting for the lock
        if (['55P03', '57014'].includes(codeOf(err) ?? '')) throw new DependencyUnavailable('stock-lock', 'Stock for these products is busy; please retry', 1);
        throw err;
      }
      const stillHeld = async () => {
        try {
          await db.query('SELECT 1', { transaction, type: QueryTypes.SELECT });
          return true;
        } catch (err) {
          return codeOf(err) === '25P02'; // aborted, but the session (and its locks) is there until rollback
        }
      };
      return fn({ transaction, xid: row!.xid, stillHeld });
    });
  } finally {
    for (const release of releases.reverse()) release();
  }
}
