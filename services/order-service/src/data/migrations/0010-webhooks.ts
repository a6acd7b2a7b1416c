// Webhook endpoints (with a rotated secret's predecessor kept until its overlap ends) and one
// delivery row per endpoint and outbox event, claimed by the delivery worker like the outbox.

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE TABLE webhook_endpoints (
      id                          BIGSERIAL PRIMARY KEY,
      url                         TEXT        NOT NULL,
      event_types                 TEXT[]      NOT NULL,
      secret                      TEXT        NOT NULL,
      previous_secret             TEXT,
      previous_secret_expires_at  TIMESTAMPTZ,
      enabled                     BOOLEAN     NOT NULL DEFAULT true,
      created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE TABLE webhook_deliveries (
      id               BIGSERIAL PRIMARY KEY,
      endpoint_id      BIGINT      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
      event_id         UUID        NOT NULL,
      event_type       VARCHAR(40) NOT NULL,
      order_id         BIGINT      NOT NULL,
      replay_of        BIGINT,
      state            VARCHAR(16) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts         INTEGER     NOT NULL DEFAULT 0,
      next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
      claimed_until    TIMESTAMPTZ,
      last_status      INTEGER,
      latency_ms       INTEGER,
      last_error       VARCHAR(40),
      created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      delivered_at     TIMESTAMPTZ
    );
    -- the due scan: pending rows only, oldest first
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
    -- "an earlier delivery of this order to this endpoint is still pending" (per-order order)
    CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (endpoint_id, order_id, id) WHERE state = 'pending';
    -- the admin delivery log, newest first
    CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP TABLE webhook_deliveries; DROP TABLE webhook_endpoints;');
};
