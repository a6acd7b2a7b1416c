// Every data adapter, built once over the connections: the use cases and the background work get
// these same objects (the order core's own adapters join them here when it takes them as ports).
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Database } from '../data/database.js';
import { createOrderSearch } from '../data/order-search.js';
import { createOutbox } from '../data/outbox.js';
import { createStockReservations } from '../data/stock-reservations.js';
import { createWebhookStore } from '../data/webhook-store.js';
import { createStreamPublisher } from '../events/stream-publisher.js';

export function buildAdapters(database: Database, redis: Redis | null, config: Config) {
  return {
    outbox: createOutbox(database),
    reservations: createStockReservations(database),
    webhooks: createWebhookStore(database),
    orderSearch: createOrderSearch(database),
    /** null without Redis: events are then marked delivered without a stream */
    events: redis ? createStreamPublisher(redis, { stream: config.checkout.eventsStream, maxLength: config.checkout.eventsStreamMaxLength }) : null,
  };
}

export type Adapters = ReturnType<typeof buildAdapters>;
