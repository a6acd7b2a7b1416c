// Publishes order events to a Redis stream exactly once per event id: a Lua script marks the id
// and appends the entry atomically, so a relay that publishes again after a crash adds nothing.

import type { Redis } from 'ioredis';

export const EVENTS_STREAM = 'orders.events';
const DEDUPE_SECONDS = 7 * 24 * 3600;

// an entry's traceparent field (ARGV[7]) comes last and only when the event has one: consumers
// that read the other fields see them as before
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[5]) then
  if ARGV[7] ~= '' then
    return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*', 'event_id', ARGV[1], 'type', ARGV[2], 'order_id', ARGV[3], 'payload', ARGV[4], 'traceparent', ARGV[7])
  end
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*', 'event_id', ARGV[1], 'type', ARGV[2], 'order_id', ARGV[3], 'payload', ARGV[4])
end
return false`;

export interface StreamEvent {
  eventId: string;
  type: string;
  orderId: number;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** the W3C traceparent of the request that caused it */
  traceparent?: string | null;
}

export interface EventPublisher {
  /** true when this call appended the entry, false when the id was already published */
  publish(event: StreamEvent): Promise<boolean>;
}

export function createStreamPublisher(redis: Redis, options: { stream?: string; maxLength?: number } = {}): EventPublisher {
  const stream = options.stream ?? EVENTS_STREAM;
  return {
    async publish(e: StreamEvent): Promise<boolean> {
      const payload = JSON.stringify({ ...e.payload, occurred_at: e.createdAt.toISOString() });
      const id = await redis.eval(
        PUBLISH_ONCE,
        2,
        stream,
        `${stream}:published:${e.eventId}`,
        e.eventId,
        e.type,
        String(e.orderId),
        payload,
        String(DEDUPE_SECONDS),
        String(options.maxLength ?? 1_000_000),
        e.traceparent ?? '',
      );
      return id !== null;
    },
  };
}
