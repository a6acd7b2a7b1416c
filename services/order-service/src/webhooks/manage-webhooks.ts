// The admin use cases of webhook endpoints: register (the secret answered once), read, change,
// remove, rotate the secret (the old one keeps signing for an overlap), the delivery log and replay.
// Every change is an audit line naming who and what, never a secret.
import { Conflict, NotFound, ValidationFailed } from '../domain/errors.js';
import { newWebhookSecret } from '../domain/webhook-signature.js';
import type { WebhookDelivery, WebhookEndpoint, WebhookStore } from '../data/webhook-store.js';
import type { Actor } from '../orders/ports.js';
import { targetProblem, type TargetPolicy } from './target-guard.js';

type Json = Record<string, unknown>;

export interface ManageWebhooksDeps {
  store: WebhookStore;
  policy: TargetPolicy;
  secretOverlapHours: number;
  lookupAll: (host: string) => Promise<string[]>;
  log: { info(obj: object, msg?: string): void };
}

export function endpointView(e: WebhookEndpoint, now = new Date()): Json {
  const overlapping = e.previousSecret !== null && e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > now;
  return {
    id: e.id,
    url: e.url,
    event_types: e.eventTypes,
    enabled: e.enabled,
    previous_secret_expires_at: overlapping ? e.previousSecretExpiresAt!.toISOString() : null,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function deliveryView(d: WebhookDelivery): Json {
  return {
    id: d.id,
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event_type: d.eventType,
    order_id: d.orderId,
    replay_of: d.replayOf,
    state: d.state,
    attempts: d.attempts,
    last_status: d.lastStatus,
    latency_ms: d.latencyMs,
    last_error: d.lastError,
    next_attempt_at: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
    delivered_at: d.deliveredAt?.toISOString() ?? null,
  };
}

export function createManageWebhooks(deps: ManageWebhooksDeps) {
  const { store } = deps;
  const audit = (actor: Actor, action: string, fields: Json) =>
    deps.log.info({ audit: 'webhook', action, actor_id: actor.userId, actor_email: actor.email, ...fields }, `webhook endpoint ${action}`);

  async function checkUrl(url: string): Promise<void> {
    const problem = await targetProblem(url, deps.policy, deps.lookupAll);
    if (problem) throw new ValidationFailed(`Invalid request: url ${problem}`, [{ field: 'url', message: problem }]);
  }
  async function endpoint(id: number): Promise<WebhookEndpoint> {
    const e = await store.getEndpoint(id);
    if (!e) throw new NotFound('Webhook endpoint not found');
    return e;
  }

  return {
    async create(actor: Actor, input: { url: string; event_types: string[]; enabled?: boolean }): Promise<Json> {
      await checkUrl(input.url);
      const secret = newWebhookSecret();
      const e = await store.createEndpoint({ url: input.url, eventTypes: [...new Set(input.event_types)], secret, enabled: input.enabled ?? true });
      audit(actor, 'created', { endpoint_id: e.id, url: e.url, event_types: e.eventTypes, enabled: e.enabled });
      return { ...endpointView(e), secret };
    },
    async list(): Promise<Json[]> {
      return (await store.listEndpoints()).map((e) => endpointView(e));
    },
    async get(id: number): Promise<Json> {
      return endpointView(await endpoint(id));
    },
    async update(actor: Actor, id: number, patch: { url?: string; event_types?: string[]; enabled?: boolean }): Promise<Json> {
      if (patch.url !== undefined) await checkUrl(patch.url);
      const e = await store.updateEndpoint(id, { url: patch.url, eventTypes: patch.event_types && [...new Set(patch.event_types)], enabled: patch.enabled });
      if (!e) throw new NotFound('Webhook endpoint not found');
      audit(actor, 'updated', { endpoint_id: id, changed: Object.keys(patch), url: e.url, event_types: e.eventTypes, enabled: e.enabled });
      return endpointView(e);
    },
    async remove(actor: Actor, id: number): Promise<void> {
      if (!(await store.deleteEndpoint(id))) throw new NotFound('Webhook endpoint not found');
      audit(actor, 'deleted', { endpoint_id: id });
    },
    async rotateSecret(actor: Actor, id: number): Promise<Json> {
      const secret = newWebhookSecret();
      const e = await store.rotateSecret(id, secret, deps.secretOverlapHours * 3600);
      if (!e) throw new NotFound('Webhook endpoint not found');
      audit(actor, 'secret_rotated', { endpoint_id: id, previous_secret_expires_at: e.previousSecretExpiresAt?.toISOString() });
      return { ...endpointView(e), secret };
    },
    async deliveries(id: number, limit: number): Promise<Json[]> {
      await endpoint(id);
      return (await store.listDeliveries(id, limit)).map(deliveryView);
    },
    async replay(actor: Actor, id: number, deliveryId: number): Promise<Json> {
      const original = await store.getDelivery(id, deliveryId);
      if (!original) throw new NotFound('Webhook delivery not found');
      // a pending delivery is sent at once (its attempts go on counting); a settled one is copied
      const copy = original.state === 'pending' ? await store.sendNow(original.id) : await store.replayDelivery(original);
      if (!copy) throw new Conflict('The delivery settled meanwhile; replay it again');
      audit(actor, 'delivery_replayed', { endpoint_id: id, delivery_id: deliveryId, replay_id: copy.id, event_id: original.eventId });
      return deliveryView(copy);
    },
  };
}

export type ManageWebhooks = ReturnType<typeof createManageWebhooks>;
