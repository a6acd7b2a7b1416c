// Publishes order events to a Redis stream exactly once per event id: a Lua script marks the id
// and appends the entry atomically, so a relay that publishes again after a crash adds nothing.
// The mark lives only as long as it can matter: until the outbox has recorded the event as
// published (then SETTLED_SECONDS more), so Redis holds marks for the events in flight, not for
// every event of the past week. A relay whose claim has lapsed never appends: the script compares
// the claim's end with Redis's clock, so a stalled relay cannot publish after another took over.

import type { Redis } from 'ioredis';

export const EVENTS_STREAM = 'orders.events';
/** a mark whose event was never recorded as published (the relay died): kept for a retry to find */
const UNSETTLED_SECONDS = 7 * 24 * 3600;
/** after the outbox recorded the event: longer than any clock skew between PostgreSQL and Redis */
export const SETTLED_SECONDS = 300;

// an entry's traceparent field (ARGV[8]) comes last and only when the event has one: consumers
// that read the other fields see them as before
const PUBLISH_ONCE = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) >= tonumber(ARGV[7]) then
  return 'lapsed'
end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[5]) then
  if ARGV[8] ~= '' then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*', 'event_id', ARGV[1], 'type', ARGV[2], 'order_id', ARGV[3], 'payload', ARGV[4], 'traceparent', ARGV[8])
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*', 'event_id', ARGV[1], 'type', ARGV[2], 'order_id', ARGV[3], 'payload', ARGV[4])
  end
  return 'published'
end
return 'duplicate'`;

export interface StreamEvent {
  eventId: string;
  type: string;
  orderId: number;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** the end of the relay's claim on the event; an append after it is refused */
  claimedUntil: Date;
  /** the W3C traceparent of the request that caused it */
  traceparent?: string | null;
}

/** published: appended now; duplicate: appended before; lapsed: the claim ended, nothing appended */
export type PublishResult = 'published' | 'duplicate' | 'lapsed';

export interface EventPublisher {
  publish(event: StreamEvent): Promise<PublishResult>;
  /** the outbox recorded the event as published: its mark may go after SETTLED_SECONDS */
  settle(event: Pick<StreamEvent, 'eventId'>): Promise<void>;
}

export function createStreamPublisher(redis: Redis, options: { stream?: string; maxLength?: number } = {}): EventPublisher {
  const stream = options.stream ?? EVENTS_STREAM;
  const markOf = (eventId: string) => `${stream}:published:${eventId}`;
  return {
    async publish(e: StreamEvent): Promise<PublishResult> {
      const payload = JSON.stringify({ ...e.payload, occurred_at: e.createdAt.toISOString() });
      return (await redis.eval(
        PUBLISH_ONCE,
        2,
        stream,
        markOf(e.eventId),
        e.eventId,
        e.type,
        String(e.orderId),
        payload,
        String(UNSETTLED_SECONDS),
        String(options.maxLength ?? 1_000_000),
        String(e.claimedUntil.getTime()),
        e.traceparent ?? '',
      )) as PublishResult;
    },
    async settle(e): Promise<void> {
      await redis.expire(markOf(e.eventId), SETTLED_SECONDS);
    },
  };
}
