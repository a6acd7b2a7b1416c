// Delivers outbox events at least once (each exactly once in effect): publishes them to the
// events stream and, for an order made from the cart, clears the shopper's cart — only after the
// order committed; a failure retries with backoff and never touches the order.

import { createPollLoop } from '../background/poll-loop.js';
import { createEventDelivery } from './outbox-delivery.js';
import type { Cart, EventPublisher, Outbox, OutboxEvent } from './ports.js';

interface Gauge {
  set(value: number): void;
}

export interface OutboxRelayDeps {
  outbox: Outbox;
  /** null: no stream configured (development without Redis); events are then marked delivered */
  publisher: EventPublisher | null;
  cart: Cart;
  /** a short-lived bearer token for the shopper, to clear their cart after they have gone */
  shopperToken(userId: number): string;
  intervalMs?: number;
  batchSize?: number;
  log?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
  /** pending/oldest-age gauges and deliveries by result; the gauges are refreshed every statsIntervalMs */
  metrics?: { outboxPending: Gauge; outboxOldestPendingAge: Gauge; outboxDeliveries: { inc(labels: { step: string; result: string }): void } };
  statsIntervalMs?: number;
  /** test hook: called after an event was published, before it is marked */
  afterPublish?: (e: OutboxEvent) => void;
}

export function createOutboxRelay(deps: OutboxRelayDeps) {
  const interval = deps.intervalMs ?? 1000;
  let statsAt = 0;
  const statsInterval = deps.statsIntervalMs ?? 15_000;
  const deliver = createEventDelivery(deps);

  /** The backlog gauges: one count over the partial index, at most every statsIntervalMs (0: every pass). */
  async function refreshStats(): Promise<void> {
    if (!deps.metrics || Date.now() - statsAt < statsInterval) return;
    statsAt = Date.now();
    const { pending, oldestAgeSeconds } = await deps.outbox.pendingStats();
    deps.metrics.outboxPending.set(pending);
    deps.metrics.outboxOldestPendingAge.set(oldestAgeSeconds);
  }

  /** One pass: claims due events and delivers them in order; returns how many it handled. */
  async function runOnce(): Promise<number> {
    await refreshStats().catch((err: unknown) => deps.log?.warn({ err }, 'outbox backlog count failed'));
    const batch = await deps.outbox.claimDue(deps.batchSize ?? 50, 30);
    for (const e of batch) {
      if (loop.stopped) {
        await deps.outbox.release(e.id).catch(() => undefined);
        continue;
      }
      await deliver(e);
    }
    return batch.length;
  }

  const loop = createPollLoop({ intervalMs: interval, pass: runOnce, onError: (err) => deps.log?.warn({ err }, 'outbox relay pass failed') });

  return {
    runOnce,
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
