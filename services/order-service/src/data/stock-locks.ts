// Serialises stock writers per product across replicas with transaction-scoped advisory locks
// (pg_advisory_xact_lock, ascending product order so two checkouts cannot deadlock), held by one
// transaction that also commits the orders: nothing lives in a session, so a transaction pooler
// (PgBouncer in transaction mode, Neon's pooled endpoint) keeps the guarantee. An in-process queue
// in front only spares PostgreSQL the waiters of this replica; the database lock is the guard.

import { QueryTypes, type Transaction } from 'sequelize';
import { DependencyUnavailable } from '../domain/errors.js';
import { DEFAULT_LOCK_DEADLINES, type LockDeadlines, type LockedCheckout, type StockLocks } from '../orders/ports.js';
import { codeOf, type Database } from './database.js';
import { txOf } from './unit-of-work.js';

export interface StockLockOptions {
  /**
   * the pool's size: a checkout under its locks may need a second connection (its reservation is
   * committed on its own before the product service is called), so at most half the pool holds
   * lock transactions; with more, every connection could be a lock holder waiting for a second one
   */
  poolMax: number;
}

// per database, not per adapter: every checkout and repair on one pool shares its queues and slots
const shared = new WeakMap<Database, { localTails: Map<number, Promise<void>>; holderSlots: ReturnType<typeof createSlots> }>();

export function createStockLocks(db: Database, options: StockLockOptions): StockLocks {
  let state = shared.get(db);
  if (!state) {
    state = { localTails: new Map(), holderSlots: createSlots(Math.max(1, Math.floor(options.poolMax / 2))) };
    shared.set(db, state);
  }
  const { localTails, holderSlots } = state;

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

  async function withProductLocks<T>(productIds: number[], fn: (locked: LockedCheckout) => Promise<T>, deadlines = DEFAULT_LOCK_DEADLINES): Promise<T> {
    const ids = [...new Set(productIds)].sort((a, b) => a - b);
    const releases: Array<() => void> = [];
    try {
      for (const id of ids) releases.push(await localLock(id));
      releases.push(await holderSlots.take());
      return await db.transaction(async (transaction) => {
        const xid = await lockAll(db, ids, deadlines, transaction);
        return fn({ tx: txOf(transaction), xid, stillHeld: () => stillHeld(db, transaction) });
      });
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  return { withProductLocks };
}

/** Sets the transaction's deadlines and takes the products' locks in ascending order; returns its id. */
async function lockAll(db: Database, ids: number[], deadlines: LockDeadlines, transaction: Transaction): Promise<string> {
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
  return row!.xid;
}

async function stillHeld(db: Database, transaction: Transaction): Promise<boolean> {
  try {
    await db.query('SELECT 1', { transaction, type: QueryTypes.SELECT });
    return true;
  } catch (err) {
    return codeOf(err) === '25P02'; // aborted, but the session (and its locks) is there until rollback
  }
}

/** A counting semaphore whose released slot passes straight to the next waiter. */
function createSlots(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  return {
    async take(): Promise<() => void> {
      if (free > 0) free -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        if (next) next();
        else free += 1;
      };
    },
  };
}
