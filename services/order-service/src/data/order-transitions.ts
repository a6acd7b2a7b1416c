// The writes that change an order after it is placed: the conditional status UPDATE with its
// roll-up counts, its history row, and field updates that are no status change.

import { QueryTypes, type Transaction } from 'sequelize';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import type { ChangeAuthor, OrderFields, OrderTransition, Tx } from '../orders/ports.js';
import { addBound } from './bound-clauses.js';
import { toInt, type Database } from './database.js';
import { countInProductStats } from './product-stats.js';
import { countInSeriesStats } from './series-stats.js';
import { transactionOf } from './unit-of-work.js';

export function createOrderTransitions(db: Database) {
  async function addHistory(orderId: number, change: { from: OrderStatus | null; to: OrderStatus; author: ChangeAuthor; reason: string | null }, tx: Tx): Promise<void> {
    const { from, to, author, reason } = change;
    await db.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, actor_role, reason)
       VALUES ($order, $from, $to, $actor, $role, $reason)`,
      { bind: { order: orderId, from, to, actor: author.userId, role: author.role, reason }, transaction: transactionOf(tx) },
    );
  }

  /**
   * Succeeds only while the order is still in one of `sources` (and at `expectedVersion`), so two
   * racing changes cannot both win; the previous status, or null when nothing matched.
   */
  async function transition(args: OrderTransition, tx: Tx): Promise<OrderStatus | null> {
    const transaction = transactionOf(tx);
    const bind: Record<string, unknown> = { id: args.id, to: args.to, sources: args.sources, paidOnly: args.paidOnlySources };
    const sets = ['status = $to', 'version = o.version + 1', 'updated_at = now()'];
    if (args.timestampColumn) sets.push(`${args.timestampColumn} = now()`); // column name from the lifecycle table, never input
    addBound(sets, bind, [['tracking_number = $tracking', 'tracking', args.trackingNumber]]);
    const where = addBound([`o.id = p.id AND o.status = ANY($sources) AND (o.status <> ALL($paidOnly) OR o.payment_status = 'paid')`], bind, [
      ['o.user_id = $owner', 'owner', args.ownerId],
      ['o.version = $version', 'version', args.expectedVersion],
    ]);
    // p holds the row as it was (locked), so the history row gets the exact previous status
    const rows = await db.query<{ previous: OrderStatus; created_at: Date; total_cents: string }>(
      `UPDATE orders o SET ${sets.join(', ')}
         FROM (SELECT id, status AS previous FROM orders WHERE id = $id FOR UPDATE) p
        WHERE ${where.join(' AND ')}
       RETURNING p.previous, o.created_at, o.total_cents`,
      { bind, type: QueryTypes.SELECT, transaction },
    );
    const row = rows[0];
    if (!row) return null;
    const change = { orderId: args.id, createdAt: row.created_at, from: row.previous, to: args.to, totalCents: toInt(row.total_cents) };
    await countInDailyStats(db, change, transaction);
    await countInSeriesStats(db, change, transaction);
    await countInProductStats(db, change, transaction);
    return row.previous;
  }

  async function updateFields(id: number, fields: OrderFields, expectedVersion: number | undefined, tx: Tx): Promise<boolean> {
    const bind: Record<string, unknown> = { id };
    const sets = addBound(['version = version + 1', 'updated_at = now()'], bind, [
      ['payment_status = $payment', 'payment', fields.paymentStatus],
      ['tracking_number = $tracking', 'tracking', fields.trackingNumber],
      ['notes = $notes', 'notes', fields.notes],
    ]);
    const where = addBound(['id = $id'], bind, [['version = $version', 'version', expectedVersion]]);
    const rows = await db.query(`UPDATE orders SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING id`, {
      bind,
      type: QueryTypes.SELECT,
      transaction: transactionOf(tx),
    });
    return rows.length === 1;
  }

  return { addHistory, transition, updateFields };
}

/** Moves one order between statuses in the daily roll-up (same transaction as the change). */
async function countInDailyStats(db: Database, change: { createdAt: Date; from: OrderStatus; to: OrderStatus; totalCents: number }, transaction: Transaction) {
  const day = new Date(change.createdAt).toISOString().slice(0, 10);
  const { from, to, totalCents: cents } = change;
  await db.query(
    `INSERT INTO order_stats_daily (day, status, orders, total_cents) VALUES ($day, $to, 1, $cents)
       ON CONFLICT (day, status) DO UPDATE SET orders = order_stats_daily.orders + 1,
                                               total_cents = order_stats_daily.total_cents + EXCLUDED.total_cents`,
    { bind: { day, to, cents }, transaction },
  );
  await db.query(`UPDATE order_stats_daily SET orders = orders - 1, total_cents = total_cents - $cents WHERE day = $day AND status = $from`, {
    bind: { day, from, cents },
    transaction,
  });
}
