// Retention: delivered outbox events, settled stock reservations, expired idempotency keys and
// settled webhook deliveries (as old as the delivered events they name) are
// deleted after their age, in small batches off the request path. Each batch is one short DELETE of
// at most batchSize rows picked by primary key with SKIP LOCKED: it never waits on a row a checkout
// or the relay holds and holds its own row locks for milliseconds; a pause between batches leaves
// the pool and the disk to checkouts.

import { QueryTypes } from 'sequelize';
import type { Database } from './database.js';

export interface RetentionPolicy {
  /** outbox events published and their cart cleared more than this many hours ago */
  outboxDeliveredHours: number;
  /** stock reservations applied or compensated (not pending, not needs_review) more than this many hours ago */
  reservationsSettledHours: number;
  /** rows per DELETE */
  batchSize: number;
  /** at most this many batches per table and run (the rest waits for the next run) */
  maxBatchesPerRun: number;
  /** pause between two batches */
  pauseMs: number;
}

export const RETENTION_TABLES = ['outbox_events', 'stock_reservations', 'idempotency_keys', 'webhook_deliveries'] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

// what may go, by table: never an undelivered event, a pending or disputed reservation, a live key
const PURGEABLE: Record<RetentionTable, string> = {
  outbox_events: `published_at IS NOT NULL AND cart_cleared_at IS NOT NULL
                  AND GREATEST(published_at, cart_cleared_at) < now() - make_interval(hours => $hours)`,
  stock_reservations: `state IN ('applied', 'compensated') AND updated_at < now() - make_interval(hours => $hours)`,
  idempotency_keys: 'expires_at < now()',
  // delivered or failed for good; after the event's own purge a replay could only fail (event_purged)
  webhook_deliveries: `state IN ('delivered', 'failed') AND updated_at < now() - make_interval(hours => $hours)`,
};
// each table's primary key, and the order a batch is picked in (an index: never a sort of the table)
const KEY: Record<RetentionTable, string[]> = { outbox_events: ['id'], stock_reservations: ['id'], idempotency_keys: ['user_id', 'key'], webhook_deliveries: ['id'] };
const ORDER: Record<RetentionTable, string> = { outbox_events: 'id', stock_reservations: 'id', idempotency_keys: 'expires_at', webhook_deliveries: 'id' };

export interface RetentionDeps {
  policy: RetentionPolicy;
  /** orders_retention_rows_purged_total{table} */
  purged?: { inc(labels: { table: RetentionTable }, value: number): void };
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

/** How old a row of each table must be (idempotency keys carry their own expiry). */
function hoursOf(policy: RetentionPolicy): Record<RetentionTable, number> {
  return {
    outbox_events: policy.outboxDeliveredHours,
    stock_reservations: policy.reservationsSettledHours,
    idempotency_keys: 0,
    webhook_deliveries: policy.outboxDeliveredHours,
  };
}

/** One batch: how many rows it deleted. */
async function purgeBatch(db: Database, table: RetentionTable, batchSize: number, hours: number): Promise<number> {
  const key = KEY[table];
  const rows = await db.query<{ n: string }>(
    `WITH doomed AS (
       SELECT ${key.join(', ')} FROM ${table} WHERE ${PURGEABLE[table]}
        ORDER BY ${ORDER[table]} LIMIT $batch FOR UPDATE SKIP LOCKED)
     , gone AS (DELETE FROM ${table} t USING doomed d WHERE ${key.map((k) => `t.${k} = d.${k}`).join(' AND ')} RETURNING 1)
     SELECT count(*) AS n FROM gone`,
    { bind: { batch: batchSize, ...(table === 'idempotency_keys' ? {} : { hours }) }, type: QueryTypes.SELECT },
  );
  return Number(rows[0]?.n ?? 0);
}

export function createRetention(db: Database, deps: RetentionDeps) {
  const { policy } = deps;
  const hours = hoursOf(policy);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  /** Purges each table in batches until a batch comes back short (or the run's budget is spent). */
  async function purgeOnce(): Promise<Record<RetentionTable, number>> {
    const total = { outbox_events: 0, stock_reservations: 0, idempotency_keys: 0, webhook_deliveries: 0 };
    for (const table of RETENTION_TABLES) {
      for (let i = 0; i < policy.maxBatchesPerRun && !stopped; i++) {
        const n = await purgeBatch(db, table, policy.batchSize, hours[table]);
        total[table] += n;
        if (n > 0) deps.purged?.inc({ table }, n);
        if (n < policy.batchSize) break;
        await new Promise((r) => setTimeout(r, policy.pauseMs));
      }
    }
    if (Object.values(total).some((n) => n > 0)) deps.log?.info({ purged: total }, 'retention purge');
    return total;
  }

  return {
    purgeOnce,
    /** every intervalMs, the first run after one interval (never at start-up, when the pod is warming) */
    start(intervalMs: number): void {
      stopped = false;
      const tick = () => {
        timer = setTimeout(() => {
          running = purgeOnce()
            .catch((err: unknown) => deps.log?.warn({ err }, 'retention purge failed; tried again next interval'))
            .finally(() => {
              running = null;
              if (!stopped) tick();
            });
        }, intervalMs);
        timer.unref();
      };
      tick();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
