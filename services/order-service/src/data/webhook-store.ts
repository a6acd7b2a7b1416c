// SQL for webhook endpoints and their deliveries; the worker claims due rows with FOR UPDATE SKIP
// LOCKED in single statements (no session state, so PgBouncer's transaction mode is fine).
import { QueryTypes } from 'sequelize';
import { toInt, type Database } from './database.js';
import type { OrderEventType } from './outbox.js';

export interface WebhookEndpoint {
  id: number;
  url: string;
  eventTypes: OrderEventType[];
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: number;
  endpointId: number;
  eventId: string;
  eventType: OrderEventType;
  orderId: number;
  replayOf: number | null;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  latencyMs: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

const date = (v: unknown) => new Date(String(v));
const orNull = <T>(v: unknown, f: (x: unknown) => T): T | null => (v == null ? null : f(v));

function endpointOf(r: Record<string, unknown>): WebhookEndpoint {
  return {
    id: toInt(r.id),
    url: String(r.url),
    eventTypes: r.event_types as OrderEventType[],
    secret: String(r.secret),
    previousSecret: orNull(r.previous_secret, String),
    previousSecretExpiresAt: orNull(r.previous_secret_expires_at, date),
    enabled: Boolean(r.enabled),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

function deliveryOf(r: Record<string, unknown>): WebhookDelivery {
  return {
    id: toInt(r.id),
    endpointId: toInt(r.endpoint_id),
    eventId: String(r.event_id),
    eventType: r.event_type as OrderEventType,
    orderId: toInt(r.order_id),
    replayOf: orNull(r.replay_of, toInt),
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: date(r.next_attempt_at),
    lastStatus: orNull(r.last_status, Number),
    latencyMs: orNull(r.latency_ms, Number),
    lastError: orNull(r.last_error, String),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    deliveredAt: orNull(r.delivered_at, date),
  };
}

type Select = (sql: string, bind?: Record<string, unknown>) => Promise<Array<Record<string, unknown>>>;

export function createWebhookStore(db: Database) {
  const select: Select = (sql, bind = {}) => db.query<Record<string, unknown>>(sql, { bind, type: QueryTypes.SELECT });
  return { ...endpointQueries(select), ...deliveryLogQueries(select), ...deliveryWorkQueries(db, select) };
}

/** The endpoints an admin registers, and their secret rotation. */
function endpointQueries(select: Select) {
  return {
    async createEndpoint(input: { url: string; eventTypes: string[]; secret: string; enabled: boolean }): Promise<WebhookEndpoint> {
      const [row] = await select(
        `INSERT INTO webhook_endpoints (url, event_types, secret, enabled) VALUES ($url, $types::text[], $secret, $enabled) RETURNING *`,
        { url: input.url, types: input.eventTypes, secret: input.secret, enabled: input.enabled },
      );
      return endpointOf(row!);
    },
    async listEndpoints(): Promise<WebhookEndpoint[]> {
      return (await select('SELECT * FROM webhook_endpoints ORDER BY id')).map(endpointOf);
    },
    async getEndpoint(id: number): Promise<WebhookEndpoint | null> {
      const [row] = await select('SELECT * FROM webhook_endpoints WHERE id = $id', { id });
      return row ? endpointOf(row) : null;
    },
    async updateEndpoint(id: number, patch: { url?: string; eventTypes?: string[]; enabled?: boolean }): Promise<WebhookEndpoint | null> {
      const [row] = await select(
        `UPDATE webhook_endpoints SET url = COALESCE($url, url), event_types = COALESCE($types::text[], event_types),
                enabled = COALESCE($enabled, enabled), updated_at = now()
          WHERE id = $id RETURNING *`,
        { id, url: patch.url ?? null, types: patch.eventTypes ?? null, enabled: patch.enabled ?? null },
      );
      return row ? endpointOf(row) : null;
    },
    async deleteEndpoint(id: number): Promise<boolean> {
      const rows = await select('DELETE FROM webhook_endpoints WHERE id = $id RETURNING id', { id });
      return rows.length > 0;
    },
    /** The new secret signs from now on; the current one keeps signing beside it for overlapSeconds. */
    async rotateSecret(id: number, secret: string, overlapSeconds: number): Promise<WebhookEndpoint | null> {
      const [row] = await select(
        `UPDATE webhook_endpoints SET previous_secret = secret, secret = $secret,
                previous_secret_expires_at = now() + make_interval(secs => $overlap), updated_at = now()
          WHERE id = $id RETURNING *`,
        { id, secret, overlap: overlapSeconds },
      );
      return row ? endpointOf(row) : null;
    },
  };
}

/** The delivery log an admin reads, replays and hurries. */
function deliveryLogQueries(select: Select) {
  return {
    async listDeliveries(endpointId: number, limit: number): Promise<WebhookDelivery[]> {
      return (await select('SELECT * FROM webhook_deliveries WHERE endpoint_id = $id ORDER BY id DESC LIMIT $limit', { id: endpointId, limit })).map(deliveryOf);
    },
    async getDelivery(endpointId: number, id: number): Promise<WebhookDelivery | null> {
      const [row] = await select('SELECT * FROM webhook_deliveries WHERE endpoint_id = $endpoint AND id = $id', { endpoint: endpointId, id });
      return row ? deliveryOf(row) : null;
    },
    /** A replay is a new pending delivery of the same event (the log keeps the original). */
    async replayDelivery(original: WebhookDelivery): Promise<WebhookDelivery> {
      const [row] = await select(
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, order_id, replay_of)
         VALUES ($endpoint, $event, $type, $order, $of) RETURNING *`,
        { endpoint: original.endpointId, event: original.eventId, type: original.eventType, order: original.orderId, of: original.id },
      );
      return deliveryOf(row!);
    },
    /** A pending delivery made due now; null when it is no longer pending. */
    async sendNow(id: number): Promise<WebhookDelivery | null> {
      const [row] = await select(
        `UPDATE webhook_deliveries SET next_attempt_at = now(), updated_at = now() WHERE id = $id AND state = 'pending' RETURNING *`,
        { id },
      );
      return row ? deliveryOf(row) : null;
    },
  };
}

/** What the delivery worker claims and records. */
function deliveryWorkQueries(db: Database, select: Select) {
  return {
    /**
     * Claims due deliveries for leaseSeconds. A delivery waits while an earlier one of the same order
     * to the same endpoint is still pending, so each endpoint sees an order's events in order.
     */
    async claimDue(limit: number, leaseSeconds: number): Promise<Array<WebhookDelivery & { endpoint: WebhookEndpoint; event: { type: string; payload: unknown; createdAt: Date } | null }>> {
      const rows = await select(
        `WITH claimed AS (
           UPDATE webhook_deliveries SET claimed_until = now() + make_interval(secs => $lease)
            WHERE id IN (SELECT d.id FROM webhook_deliveries d
                          WHERE d.state = 'pending' AND d.next_attempt_at <= now()
                            AND (d.claimed_until IS NULL OR d.claimed_until < now())
                            -- a disabled endpoint's deliveries wait (and never crowd out the others)
                            AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled)
                            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                                             WHERE p.endpoint_id = d.endpoint_id AND p.order_id = d.order_id
                                               AND p.state = 'pending' AND p.id < d.id AND p.replay_of IS NULL)
                          ORDER BY d.next_attempt_at, d.id LIMIT $limit FOR UPDATE SKIP LOCKED)
           RETURNING *)
         SELECT c.*, row_to_json(w.*) AS endpoint, o.payload AS event_payload, o.created_at AS event_created_at, o.type AS event_row_type
           FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id
           LEFT JOIN outbox_events o ON o.event_id = c.event_id
          ORDER BY c.id`,
        { limit, lease: leaseSeconds },
      );
      return rows.map((r) => ({
        ...deliveryOf(r),
        endpoint: endpointOf(r.endpoint as Record<string, unknown>),
        event: r.event_payload == null ? null : { type: String(r.event_row_type), payload: r.event_payload, createdAt: date(r.event_created_at) },
      }));
    },
    async markDelivered(id: number, status: number, latencyMs: number, attempts: number): Promise<void> {
      await db.query(
        `UPDATE webhook_deliveries SET state = 'delivered', attempts = $attempts, last_status = $status, latency_ms = $latency,
                last_error = NULL, claimed_until = NULL, delivered_at = now(), updated_at = now() WHERE id = $id`,
        { bind: { id, status, latency: latencyMs, attempts } },
      );
    },
    /** A failed attempt: retried after delaySeconds, or final when delaySeconds is null. */
    async markAttemptFailed(id: number, outcome: { attempts: number; status: number | null; latencyMs: number | null; error: string; delaySeconds: number | null }): Promise<void> {
      await db.query(
        `UPDATE webhook_deliveries SET attempts = $attempts, last_status = $status, latency_ms = $latency, last_error = $error,
                state = CASE WHEN $final THEN 'failed' ELSE 'pending' END, claimed_until = NULL,
                next_attempt_at = CASE WHEN $final THEN next_attempt_at ELSE now() + make_interval(secs => $delay) END,
                updated_at = now() WHERE id = $id`,
        {
          bind: {
            id, attempts: outcome.attempts, status: outcome.status, latency: outcome.latencyMs,
            error: outcome.error.slice(0, 40), final: outcome.delaySeconds === null, delay: outcome.delaySeconds ?? 0,
          },
        },
      );
    },
    async release(id: number): Promise<void> {
      await db.query('UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = $id', { bind: { id } });
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
