// The work off the request path, started once and stopped on shutdown: the outbox relay (events to
// the stream, carts cleared), the stock reconciler, the retention purge and the webhook deliveries.
import jwt from 'jsonwebtoken';
import type { Config } from '../config.js';
import type { Database } from '../data/database.js';
import { createRetention } from '../data/retention.js';
import type { ServiceMetrics } from '../http/metrics.js';
import type { Log } from '../log.js';
import { createOutboxRelay } from '../orders/outbox-relay.js';
import { createStockReconciler } from '../orders/stock-reconciler.js';
import type { Closer } from '../shutdown.js';
import { createDeliveryWorker } from '../webhooks/delivery-worker.js';
import type { Adapters } from './adapters.js';
import { crashAt } from './fault-points.js';
import type { Peers } from './peers.js';

export interface BackgroundDeps {
  config: Config;
  database: Database;
  adapters: Adapters;
  peers: Peers;
  metrics: ServiceMetrics;
  log: Log;
  closer: Closer;
}

export function startBackground(deps: BackgroundDeps): void {
  startRelay(deps);
  const { config, database, adapters, peers, metrics, log, closer } = deps;
  if (config.stockManagement && peers.configuredCatalog) {
    const reconciler = createStockReconciler({
      stockLocks: adapters.persistence.stockLocks,
      reservations: adapters.reservations,
      catalog: peers.configuredCatalog,
      graceSeconds: config.checkout.reconcileGraceSeconds,
      intervalMs: config.checkout.reconcileIntervalSeconds * 1000,
      log,
    });
    reconciler.start();
    closer.stopNow(() => reconciler.stop());
  }
  // delivered events, settled reservations and expired keys, in short batches off the request path
  const retention = createRetention(database, { policy: { ...config.retention, maxBatchesPerRun: 100, pauseMs: 50 }, purged: metrics.retentionPurged, log });
  retention.start(config.retention.intervalSeconds * 1000);
  closer.stopAwaited(() => retention.stop());
  // signed webhook deliveries of the outbox's events (their rows are written with the event)
  const deliveryWorker = createDeliveryWorker({ store: adapters.webhooks, policy: config.webhooks, ...config.webhooks, attempts: metrics.webhookDeliveries, log });
  deliveryWorker.start();
  closer.stopAwaited(() => deliveryWorker.stop());
}

/** After the commit: events to the stream, carts cleared; both retried until they succeed. */
function startRelay({ config, adapters, peers, metrics, log, closer }: BackgroundDeps): void {
  const afterPublish = crashAt(config, 'after-event-publish');
  const relay = createOutboxRelay({
    outbox: adapters.outbox,
    publisher: adapters.events,
    cart: peers.cart,
    // the shopper's own token may have expired by the time the cart service is back
    shopperToken: (userId) => jwt.sign({ sub: String(userId), role: 'user', email: '' }, config.secretKey, { algorithm: 'HS256', expiresIn: 300 }),
    intervalMs: config.checkout.outboxIntervalMs,
    metrics,
    log,
    ...(afterPublish ? { afterPublish } : {}),
  });
  relay.start();
  closer.stopAwaited(() => relay.stop());
}
