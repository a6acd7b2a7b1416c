// Each outbox event keeps the W3C traceparent of the request that caused it, so the stream entry
// (and the relay's own calls) continue that trace; older rows and requests outside a trace have none.

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  await q.query('ALTER TABLE outbox_events ADD COLUMN traceparent text');
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('ALTER TABLE outbox_events DROP COLUMN traceparent');
};
