// Checkout safety: idempotency keys, stock reservation intents (the write-ahead record of every
// stock change sent to the product service) and the transactional outbox.

import type { MigrationFn } from './index.js';

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(`
    CREATE TABLE idempotency_keys (
      user_id         BIGINT       NOT NULL,
      key             VARCHAR(255) NOT NULL,
      fingerprint     CHAR(64)     NOT NULL,
      state           VARCHAR(16)  NOT NULL CHECK (state IN ('in_flight', 'done')),
      locked_until    TIMESTAMPTZ  NOT NULL,
      response_status INTEGER,
      response_body   JSONB,
      order_id        BIGINT REFERENCES orders (id) ON DELETE SET NULL,
      created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
      expires_at      TIMESTAMPTZ  NOT NULL,
      PRIMARY KEY (user_id, key)
    );
    CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

    CREATE TABLE stock_reservations (
      id             BIGSERIAL PRIMARY KEY,
      reservation_id UUID        NOT NULL,
      product_id     BIGINT      NOT NULL,
      quantity       INTEGER     NOT NULL CHECK (quantity > 0),
      stock_before   INTEGER     NOT NULL,
      stock_after    INTEGER     NOT NULL,
      state          VARCHAR(16) NOT NULL CHECK (state IN ('pending', 'applied', 'compensated', 'needs_review')),
      order_id       BIGINT REFERENCES orders (id) ON DELETE SET NULL,
      created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX stock_reservations_pending_idx ON stock_reservations (created_at) WHERE state = 'pending';
    CREATE INDEX stock_reservations_reservation_idx ON stock_reservations (reservation_id);

    CREATE TABLE outbox_events (
      id              BIGSERIAL PRIMARY KEY,
      event_id        UUID        NOT NULL UNIQUE,
      type            VARCHAR(40) NOT NULL,
      order_id        BIGINT      NOT NULL,
      user_id         BIGINT      NOT NULL,
      payload         JSONB       NOT NULL,
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      published_at    TIMESTAMPTZ,
      -- set at insert for events with no cart to clear
      cart_cleared_at TIMESTAMPTZ,
      attempts        INTEGER     NOT NULL DEFAULT 0,
      next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      claimed_until   TIMESTAMPTZ,
      last_error      VARCHAR(200)
    );
    CREATE INDEX outbox_events_due_idx ON outbox_events (next_attempt_at, id)
      WHERE published_at IS NULL OR cart_cleared_at IS NULL;
  `);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP TABLE outbox_events; DROP TABLE stock_reservations; DROP TABLE idempotency_keys;');
};
