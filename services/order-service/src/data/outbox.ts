// The transactional outbox: events written in the same transaction as the order change, then
// delivered at least once by the relay (orders/outbox-relay.ts).

import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import type { NewOutboxEvent, OrderEventType, Outbox, OutboxEvent, Tx } from '../orders/ports.js';
import { activeTraceparent } from '../tracing/trace-context.js';
import { toInt, type Database } from './database.js';
import { transactionOf } from './unit-of-work.js';

export type { OrderEventType, Outbox, OutboxEvent } from '../orders/ports.js';

const ADD_EVENTS = `WITH event AS (
    INSERT INTO outbox_events (event_id, type, order_id, user_id, payload, cart_cleared_at, traceparent)
    SELECT (e->>'eventId')::uuid, e->>'type', (e->>'orderId')::bigint, (e->>'userId')::bigint, e->'payload',
           CASE WHEN (e->>'clearCart')::boolean THEN NULL ELSE now() END, e->>'traceparent'
      FROM jsonb_array_elements($events::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n
    RETURNING id, event_id, type, order_id)
  INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, order_id)
  SELECT w.id, event.event_id, event.type, event.order_id
    FROM event JOIN webhook_endpoints w ON w.enabled AND event.type = ANY (w.event_types)
   ORDER BY event.id, w.id`;

const CLAIM_DUE = `UPDATE outbox_events SET claimed_until = now() + make_interval(secs => $lease)
  WHERE id IN (SELECT id FROM outbox_events
                WHERE (published_at IS NULL OR cart_cleared_at IS NULL)
                  AND next_attempt_at <= now()
                  AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY id LIMIT $limit FOR UPDATE SKIP LOCKED)
  RETURNING id, event_id, type, order_id, user_id, payload, created_at, claimed_until, published_at, cart_cleared_at, attempts, traceparent`;

export function createOutbox(db: Database): Outbox {
  async function addAll(events: NewOutboxEvent[], tx: Tx): Promise<string[]> {
    if (events.length === 0) return [];
    // a batch of checkouts passes each one's own; otherwise the trace of the request at hand
    const active = activeTraceparent() ?? null;
    const rows = events.map((e) => ({ ...e, eventId: randomUUID(), clearCart: e.clearCart ?? false, traceparent: e.traceparent ?? active }));
    // the webhook deliveries of the events in the same statement and transaction: one per enabled
    // endpoint subscribed to the event's type when it is written (webhooks/delivery-worker.ts sends them)
    await db.query(ADD_EVENTS, { bind: { events: JSON.stringify(rows) }, transaction: transactionOf(tx) });
    return rows.map((r) => r.eventId);
  }

  /** Claims up to `limit` due events for `leaseSeconds` (SKIP LOCKED: replicas share the work). */
  async function claimDue(limit: number, leaseSeconds: number): Promise<OutboxEvent[]> {
    const rows = await db.query<Record<string, unknown>>(CLAIM_DUE, { bind: { limit, lease: leaseSeconds }, type: QueryTypes.SELECT });
    return rows.map(toOutboxEvent).sort((a, b) => a.id - b.id);
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

  const add = async (event: NewOutboxEvent, tx: Tx): Promise<string> => (await addAll([event], tx))[0]!;

  return { add, addAll, claimDue, markPublished, markCartCleared, markFailed, release, pendingStats };
}

function toOutboxEvent(r: Record<string, unknown>): OutboxEvent {
  return {
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
  };
}
