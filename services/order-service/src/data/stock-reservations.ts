// The write-ahead record of every stock change sent to the product service: written (committed)
// before the PATCH with the id of the transaction holding the products' locks, marked applied in
// that same transaction with the orders, compensated otherwise. What a crash leaves 'pending' is
// repaired by orders/stock-repair.ts (before the next checkout) and orders/stock-reconciler.ts.

import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import type { Reservation, ReservationLine, StockReservations, Tx } from '../orders/ports.js';
import { toInt, type Database } from './database.js';
import { transactionOf } from './unit-of-work.js';

export function createStockReservations(db: Database): StockReservations {
  /** One statement for all lines, committed on its own before any PATCH; `lockXid` is the holder's transaction. */
  async function record(lines: ReservationLine[], lockXid: string, tx?: Tx): Promise<string> {
    const reservationId = randomUUID();
    await db.query(
      `INSERT INTO stock_reservations (reservation_id, product_id, quantity, stock_before, stock_after, state, lock_xid)
       SELECT $rid, (l->>'productId')::bigint, (l->>'quantity')::int, (l->>'stockBefore')::int, (l->>'stockAfter')::int,
              'pending', $xid::bigint
         FROM jsonb_array_elements($lines::jsonb) AS l`,
      { bind: { rid: reservationId, lines: JSON.stringify(lines), xid: lockXid }, transaction: transactionOf(tx) },
    );
    return reservationId;
  }

  async function markApplied(reservationId: string, orderId: number, tx: Tx): Promise<void> {
    await db.query(
      `UPDATE stock_reservations SET state = 'applied', order_id = $order, updated_at = now()
        WHERE reservation_id = $rid AND state = 'pending'`,
      { bind: { rid: reservationId, order: orderId }, transaction: transactionOf(tx) },
    );
  }

  async function mark(id: number, state: 'compensated' | 'needs_review', tx?: Tx): Promise<void> {
    await db.query(`UPDATE stock_reservations SET state = $state, updated_at = now() WHERE id = $id AND state = 'pending'`, {
      bind: { id, state },
      transaction: transactionOf(tx),
    });
  }

  async function markReservation(reservationId: string, state: 'compensated', tx?: Tx): Promise<void> {
    await db.query(
      `UPDATE stock_reservations SET state = $state, updated_at = now() WHERE reservation_id = $rid AND state = 'pending'`,
      { bind: { rid: reservationId, state }, transaction: transactionOf(tx) },
    );
  }

  /**
   * The pending rows of these products, newest first, each with the fate of the transaction that
   * held the products' locks when it was written: 'in progress' is a live checkout, anything else
   * (aborted, committed without marking it, too old to know, or written before 0005) an orphan.
   */
  async function pendingFor(productIds: number[], tx?: Tx): Promise<Reservation[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT id, reservation_id, product_id, quantity, stock_before, stock_after,
              CASE WHEN lock_xid IS NULL THEN NULL ELSE pg_xact_status(lock_xid::text::xid8) END AS holder
         FROM stock_reservations
        WHERE state = 'pending' AND product_id = ANY($ids::bigint[]) ORDER BY product_id, id DESC`,
      { bind: { ids: productIds }, type: QueryTypes.SELECT, transaction: transactionOf(tx) },
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
    ...(r.holder !== undefined ? { holder: r.holder as Reservation['holder'] } : {}),
  };
}

