// The transactional outbox: events written in the same transaction as the order change, then
// delivered at least once by the relay (orders/outbox-relay.ts).

import { randomUUID } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import { activeTraceparent } from '../tracing/trace-context.js';
import { toInt, type Database } from './database.js';

export type OrderEventType = 'order.created' | 'order.status_changed' | 'order.cancelled';

export interface OutboxEvent {
  id: number;
  eventId: string;
  type: OrderEventType;
  orderId: number;
  userId: number;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** the end of this relay's claim: after it another relay may take the event */
  claimedUntil: Date;
  published: boolean;
  cartCleared: boolean;
  attempts: number;
  /** the W3C traceparent of the request that caused the event, when it was in a trace */
  traceparent: string | null;
}

export interface OutboxEventInput {
  type: OrderEventType;
  orderId: number;
  userId: number;
  payload: Record<string, unknown>;
  clearCart?: boolean;
  traceparent?: string;
}

export function createOutbox(db: Database) {
  /**
   * Writes events (one checkout's, or a batch's, in order) with their webhook deliveries: one per
   * enabled endpoint subscribed to the event's type when it is written (webhooks/delivery-worker.ts
   * sends them), in one statement of the caller's transaction. Gives back the events' ids.
   */
  async function addMany(events: OutboxEventInput[], transaction: Transaction): Promise<string[]> {
    if (events.length === 0) return [];
    const input = events.map((event, n) => ({
      n,
      event_id: randomUUID(),
      type: event.type,
      order_id: event.orderId,
      user_id: event.userId,
      payload: event.payload,
      clear_cart: event.clearCart === true,
      // a batch of checkouts passes each one's own; otherwise the trace of the request at hand
      traceparent: event.traceparent ?? activeTraceparent() ?? null,
    }));
    await db.query(
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($events::jsonb)
           AS x(n int, event_id uuid, type text, order_id bigint, user_id bigint, payload jsonb, clear_cart boolean, traceparent text)
       ), event AS (
         INSERT INTO outbox_events (event_id, type, order_id, user_id, payload, cart_cleared_at, traceparent)
         SELECT event_id, type, order_id, user_id, payload, CASE WHEN clear_cart THEN NULL ELSE now() END, traceparent FROM x ORDER BY n
         RETURNING id, event_id, type, order_id)
       INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, order_id)
       SELECT w.id, event.event_id, event.type, event.order_id
         FROM event JOIN webhook_endpoints w ON w.enabled AND event.type = ANY (w.event_types)
        ORDER BY event.id, w.id`,
      { bind: { events: JSON.stringify(input) }, transaction },
    );
    return input.map((e) => e.event_id);
  }

  async function add(event: OutboxEventInput, transaction: Transaction): Promise<string> {
    return (await addMany([event], transaction))[0]!;
  }

  /** Claims up to `limit` due events for `leaseSeconds` (SKIP LOCKED: replicas share the work). */
  async function claimDue(limit: number, leaseSeconds: number): Promise<OutboxEvent[]> {
    const rows = await db.query<Record<string, unknown>>(
      `UPDATE outbox_events SET claimed_until = now() + make_interval(secs => $lease)
        WHERE id IN (SELECT id FROM outbox_events
                      WHERE (published_at IS NULL OR cart_cleared_at IS NULL)
                        AND next_attempt_at <= now()
                        AND (claimed_until IS NULL OR claimed_until < now())
                      ORDER BY id LIMIT $limit FOR UPDATE SKIP LOCKED)
       RETURNING id, event_id, type, order_id, user_id, payload, created_at, claimed_until, published_at, cart_cleared_at, attempts, traceparent`,
      { bind: { limit, lease: leaseSeconds }, type: QueryTypes.SELECT },
    );
    return rows
      .map((r) => ({
        id: toInt(r.id),
        eventId: String(r.event_id),
        type: r.type as OrderEventType,
        orderId: toInt(r.order_id),
        userId: toInt(r.user_id),
        payload: r.payload as Record<string, unknown>,
        createdAt: new Date(String(r.created_at)),
        claimedUntil: new Date(String(r.claimed_until)),
        published: r.published_at != null,
        cartCleared: r.cart_cleared_at != null,
        attempts: Number(r.attempts),
        traceparent: typeof r.traceparent === 'string' ? r.traceparent : null,
      }))
      .sort((a, b) => a.id - b.id);
  }

  async function markPublished(id: number): Promise<void> {
    await db.query('UPDATE outbox_events SET published_at = now() WHERE id = $id', { bind: { id } });
  }

  async function markCartCleared(id: number): Promise<void> {
    await db.query('UPDATE outbox_events SET cart_cleared_at = now() WHERE id = $id', { bind: { id } });
  }

  /** A failed delivery: back off exponentially (capped at five minutes) and release the claim. */
  async function markFailed(id: number, attempts: number, error: string): Promise<void> {
    const delay = Math.min(2 ** attempts, 300) * (0.5 + Math.random() / 2);
    await db.query(
      `UPDATE outbox_events SET attempts = $attempts, last_error = $error, claimed_until = NULL,
              next_attempt_at = now() + make_interval(secs => $delay)
        WHERE id = $id`,
      { bind: { id, attempts, error: error.slice(0, 200), delay } },
    );
  }

  async function release(id: number): Promise<void> {
    await db.query('UPDATE outbox_events SET claimed_until = NULL WHERE id = $id', { bind: { id } });
  }

  /** Undelivered events and the oldest one's age (the partial due index holds exactly these rows). */
  async function pendingStats(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT count(*) AS pending, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) AS oldest
         FROM outbox_events WHERE published_at IS NULL OR cart_cleared_at IS NULL`,
      { type: QueryTypes.SELECT },
    );
    return { pending: toInt(row?.pending ?? 0), oldestAgeSeconds: Math.max(0, Number(row?.oldest ?? 0)) };
  }

  return { add, addMany, claimDue, markPublished, markCartCleared, markFailed, release, pendingStats };
}

export type Outbox = ReturnType<typeof createOutbox>;
