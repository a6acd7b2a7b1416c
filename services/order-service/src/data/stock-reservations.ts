// The write-ahead record of every stock change sent to the product service: written (committed)
// before the PATCH, marked applied in the order's own transaction, compensated otherwise. What a
// crash leaves 'pending' is repaired by orders/stock-reconciler.ts.

import { randomUUID } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import { toInt, type Database } from './database.js';

export interface Reservation {
  id: number;
  reservationId: string;
  productId: number;
  quantity: number;
  stockBefore: number;
  stockAfter: number;
}

export function createStockReservations(db: Database) {
  async function record(lines: Array<Omit<Reservation, 'id' | 'reservationId'>>): Promise<string> {
    const reservationId = randomUUID();
    for (const l of lines) {
      await db.query(
        `INSERT INTO stock_reservations (reservation_id, product_id, quantity, stock_before, stock_after, state)
         VALUES ($rid, $pid, $qty, $before, $after, 'pending')`,
        { bind: { rid: reservationId, pid: l.productId, qty: l.quantity, before: l.stockBefore, after: l.stockAfter } },
      );
    }
    return reservationId;
  }

  async function markApplied(reservationId: string, orderId: number, transaction: Transaction): Promise<void> {
    await db.query(
      `UPDATE stock_reservations SET state = 'applied', order_id = $order, updated_at = now()
        WHERE reservation_id = $rid AND state = 'pending'`,
      { bind: { rid: reservationId, order: orderId }, transaction },
    );
  }

  async function mark(id: number, state: 'compensated' | 'needs_review'): Promise<void> {
    await db.query(`UPDATE stock_reservations SET state = $state, updated_at = now() WHERE id = $id AND state = 'pending'`, {
      bind: { id, state },
    });
  }

  async function markReservation(reservationId: string, state: 'compensated'): Promise<void> {
    await db.query(
      `UPDATE stock_reservations SET state = $state, updated_at = now() WHERE reservation_id = $rid AND state = 'pending'`,
      { bind: { rid: reservationId, state } },
    );
  }

  /**
   * The pending rows of these products, newest first. Called under the products' locks, where no
   * live request can hold one: the lock is kept from the row's insert to its applied/compensated mark.
   */
  async function pendingFor(productIds: number[]): Promise<Reservation[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT id, reservation_id, product_id, quantity, stock_before, stock_after FROM stock_reservations
        WHERE state = 'pending' AND product_id = ANY($ids::bigint[]) ORDER BY product_id, id DESC`,
      { bind: { ids: productIds }, type: QueryTypes.SELECT },
    );
    return rows.map(toReservation);
  }

  /** Pending rows older than `olderThanSeconds`: their request is over, one way or another. */
  async function stalePending(olderThanSeconds: number): Promise<Reservation[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT id, reservation_id, product_id, quantity, stock_before, stock_after FROM stock_reservations
        WHERE state = 'pending' AND created_at < now() - make_interval(secs => $age) ORDER BY id`,
      { bind: { age: olderThanSeconds }, type: QueryTypes.SELECT },
    );
    return rows.map(toReservation);
  }

  return { record, markApplied, mark, markReservation, pendingFor, stalePending };
}

function toReservation(r: Record<string, unknown>): Reservation {
  return {
    id: toInt(r.id),
    reservationId: String(r.reservation_id),
    productId: toInt(r.product_id),
    quantity: Number(r.quantity),
    stockBefore: Number(r.stock_before),
    stockAfter: Number(r.stock_after),
  };
}

export type StockReservations = ReturnType<typeof createStockReservations>;
