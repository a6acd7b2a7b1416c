// One outbox event's delivery, inside the trace of the request that caused it: publish to the
// stream, then clear the cart for an order made from it; a failed step is recorded for a retry.

import { extractTraceContext, ROOT_CONTEXT, SpanKind, SpanStatusCode, tracer } from '../tracing/trace-context.js';
import type { OutboxRelayDeps } from './outbox-relay.js';
import type { OutboxEvent } from './ports.js';

export function createEventDelivery(deps: OutboxRelayDeps): (e: OutboxEvent) => Promise<void> {
  const count = (step: string, result: 'ok' | 'error') => deps.metrics?.outboxDeliveries.inc({ step, result });

  /** A delivery continues the trace of the request that caused the event: its logs and the cart call carry it. */
  function deliver(e: OutboxEvent): Promise<void> {
    const parent = e.traceparent ? extractTraceContext({ traceparent: e.traceparent }) : ROOT_CONTEXT;
    const attributes = { 'messaging.system': 'redis', 'messaging.operation.type': 'send', 'messaging.message.id': e.eventId, 'order.event.type': e.type };
    return tracer.startActiveSpan('outbox deliver', { kind: SpanKind.PRODUCER, attributes }, parent, async (span) => {
      try {
        const failedStep = await deliverInTrace(e);
        if (failedStep) {
          span.setAttribute('error.type', failedStep);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      } finally {
        span.end();
      }
    });
  }

  /** the step that failed, or null when every step went through */
  async function deliverInTrace(e: OutboxEvent): Promise<string | null> {
    let step = 'publish';
    try {
      if (!e.published) {
        if ((await deps.publisher?.publish(e)) === 'lapsed') {
          // another relay may hold the event now; it publishes and marks it
          deps.log?.info({ event_id: e.eventId, order_id: e.orderId }, 'outbox claim lapsed before publishing; left to the next claim');
          return null;
        }
        deps.afterPublish?.(e);
        await deps.outbox.markPublished(e.id);
        await deps.publisher?.settle(e).catch((err: unknown) => deps.log?.warn({ event_id: e.eventId, err }, 'could not shorten the published mark; it expires in a week'));
        count('publish', 'ok');
      }
      if (!e.cartCleared) {
        step = 'clear_cart';
        await deps.cart.clear({ authorization: `Bearer ${deps.shopperToken(e.userId)}` });
        await deps.outbox.markCartCleared(e.id);
        count('clear_cart', 'ok');
      }
      return null;
    } catch (err) {
      count(step, 'error');
      const attempts = e.attempts + 1;
      deps.log?.warn({ event_id: e.eventId, order_id: e.orderId, step, attempts, err }, 'outbox delivery failed');
      await deps.outbox.markFailed(e.id, attempts, `${step}: ${(err as Error).name}`).catch(() => undefined);
      return step;
    }
  }

  return deliver;
}
