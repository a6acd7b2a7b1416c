// Every data adapter, built once over the connections: the use cases and the background work get
// these same objects.
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Database } from '../data/database.js';
import { createOrderPersistence } from '../data/order-persistence.js';
import { createOrderSearch } from '../data/order-search.js';
import { createWebhookStore } from '../data/webhook-store.js';
import { createStreamPublisher } from '../events/stream-publisher.js';

export function buildAdapters(database: Database, redis: Redis | null, config: Config) {
  const persistence = createOrderPersistence(database, { idempotency: { ttlHours: config.idempotencyTtlHours, leaseSeconds: config.checkout.idempotencyLeaseSeconds } });
  return {
    /** the order tables' adapters: the use cases, the relay and the reconciler share them */
    persistence,
    outbox: persistence.outbox,
    reservations: persistence.reservations,
    webhooks: createWebhookStore(database),
    orderSearch: createOrderSearch(database),
    /** null without Redis: events are then marked delivered without a stream */
    events: redis ? createStreamPublisher(redis, { stream: config.checkout.eventsStream, maxLength: config.checkout.eventsStreamMaxLength }) : null,
  };
}

export type Adapters = ReturnType<typeof buildAdapters>;
