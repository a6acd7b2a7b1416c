// Delivers outbox events at least once (each exactly once in effect): publishes them to the
// events stream and, for an order made from the cart, clears the shopper's cart — only after the
// order committed; a failure retries with backoff and never touches the order.

import type { Outbox, OutboxEvent } from '../data/outbox.js';
import type { EventPublisher } from '../events/stream-publisher.js';
import type { Cart } from './ports.js';

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
  /** test hook: called after an event was published, before it is marked */
  afterPublish?: (e: OutboxEvent) => void;
}

export function createOutboxRelay(deps: OutboxRelayDeps) {
  const interval = deps.intervalMs ?? 1000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = false;

  async function deliver(e: OutboxEvent): Promise<void> {
    let step = 'publish';
    try {
      if (!e.published) {
        if (deps.publisher) await deps.publisher.publish(e);
        deps.afterPublish?.(e);
        await deps.outbox.markPublished(e.id);
      }
      if (!e.cartCleared) {
        step = 'clear_cart';
        await deps.cart.clear({ authorization: `Bearer ${deps.shopperToken(e.userId)}` });
        await deps.outbox.markCartCleared(e.id);
      }
    } catch (err) {
      const attempts = e.attempts + 1;
      deps.log?.warn({ event_id: e.eventId, order_id: e.orderId, step, attempts, err }, 'outbox delivery failed');
      await deps.outbox.markFailed(e.id, attempts, `${step}: ${(err as Error).name}`).catch(() => undefined);
    }
  }

  /** One pass: claims due events and delivers them in order; returns how many it handled. */
  async function runOnce(): Promise<number> {
    const batch = await deps.outbox.claimDue(deps.batchSize ?? 50, 30);
    for (const e of batch) {
      if (stopped) {
        await deps.outbox.release(e.id).catch(() => undefined);
        continue;
      }
      await deliver(e);
    }
    return batch.length;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().catch((err: unknown) => {
        deps.log?.warn({ err }, 'outbox relay pass failed');
        return 0;
      });
      void running.finally(() => {
        running = null;
        schedule();
      });
    }, interval);
    timer.unref();
  }

  return {
    runOnce,
    start(): void {
      stopped = false;
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
