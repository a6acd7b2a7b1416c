// Serialises stock writers per product: an in-process queue (requests of one replica) and a
// PostgreSQL session advisory lock (all replicas), taken in ascending product order so two orders
// cannot deadlock. The lock lives on one pinned connection and dies with it if the process does.

import { DependencyUnavailable } from '../domain/errors.js';
import type { Database } from './database.js';

interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
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
 * A checkout under its locks holds two connections at once (the pinned lock session and its order
 * transaction), so at most half the pool may be lock sessions: with more, every connection could be
 * a lock session waiting for a second one (seen as a 1 s p99 with 8 products and a pool of 10).
 */
const sessionSlots = new WeakMap<Database, { free: number; waiting: Array<() => void> }>();

async function takeSessionSlot(db: Database): Promise<() => void> {
  let slots = sessionSlots.get(db);
  if (!slots) {
    const poolMax = db.config.pool?.max ?? 10;
    slots = { free: Math.max(1, Math.floor(poolMax / 2)), waiting: [] };
    sessionSlots.set(db, slots);
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
  fn: () => Promise<T>,
  options: { lockTimeoutMs?: number } = {},
): Promise<T> {
  const ids = [...new Set(productIds)].sort((a, b) => a - b);
  const releases: Array<() => void> = [];
  let client: PgClient | null = null;
  try {
    for (const id of ids) releases.push(await localLock(id));
    releases.push(await takeSessionSlot(db));
    client = (await db.connectionManager.getConnection({ type: 'write' })) as unknown as PgClient;
    await client.query(`SET lock_timeout = '${Math.trunc(options.lockTimeoutMs ?? 5000)}ms'`);
    try {
      for (const id of ids) await client.query("SELECT pg_advisory_lock(hashtextextended('orders:stock:' || $1::text, 0))", [id]);
    } catch {
      throw new DependencyUnavailable('stock-lock', 'Stock for these products is busy; please retry', 1);
    }
    return await fn();
  } finally {
    if (client) {
      try {
        await client.query('SELECT pg_advisory_unlock_all()');
        await client.query('RESET lock_timeout');
        db.connectionManager.releaseConnection(client as never);
      } catch {
        // a broken connection: its session, and with it every lock, is gone
        await db.connectionManager.destroyConnection(client as never).catch(() => undefined);
      }
    }
    for (const release of releases.reverse()) release();
  }
}
