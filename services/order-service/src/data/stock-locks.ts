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
