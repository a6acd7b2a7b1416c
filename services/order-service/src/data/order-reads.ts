// Reads of the order tables: one order with its lines, and pages of summaries.

import { QueryTypes } from 'sequelize';
import type { OrderRecord, OrderSummaryRecord } from '../domain/records.js';
import type { OrderListFilter, Tx } from '../orders/ports.js';
import { whereOf } from './bound-clauses.js';
import { toInt, type Database } from './database.js';
import { addOrderFilter, summaryOf } from './order-filters.js';
import { toOrderRecord, type OrderRowWithLines } from './order-records.js';
import { transactionOf } from './unit-of-work.js';

export function createOrderReads(db: Database) {
  // one round trip per read: an order is read on every write and most requests
  async function findById(id: number, tx?: Tx): Promise<OrderRecord | null> {
    const rows = await db.query<OrderRowWithLines>(
      `SELECT o.*,
              coalesce((SELECT json_agg(i ORDER BY i.id) FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
              coalesce((SELECT json_agg(h ORDER BY h.id) FROM order_status_history h WHERE h.order_id = o.id), '[]') AS history
         FROM orders o WHERE o.id = $id`,
      { bind: { id }, type: QueryTypes.SELECT, transaction: transactionOf(tx) },
    );
    const row = rows[0];
    return row ? toOrderRecord(row) : null;
  }

  async function list(filter: OrderListFilter, tx?: Tx): Promise<{ items: OrderSummaryRecord[]; total: number }> {
    const conds: string[] = [];
    const bind: Record<string, unknown> = {};
    addOrderFilter(filter, conds, bind);
    const where = whereOf(conds);
    const transaction = transactionOf(tx);
    const rows = await db.query<Record<string, unknown>>(
      `SELECT o.id, o.order_number, o.user_id, o.customer_email, o.status, o.payment_status, o.total_cents, o.currency,
              o.created_at, (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS item_count
         FROM orders o ${where}
        ORDER BY o.created_at DESC, o.id DESC
        LIMIT $limit OFFSET $offset`,
      { bind: { ...bind, limit: filter.limit, offset: filter.offset }, type: QueryTypes.SELECT, transaction },
    );
    const [count] = await db.query<{ total: string }>(`SELECT count(*) AS total FROM orders o ${where}`, { bind, type: QueryTypes.SELECT, transaction });
    return { total: toInt(count?.total ?? 0), items: rows.map(summaryOf) };
  }

  return { findById, list };
}
