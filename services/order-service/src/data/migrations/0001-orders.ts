// The order tables, their constraints and the indexes the list, admin and stats queries use.

import type { MigrationFn } from './index.js';

const STATUSES = "'pending','confirmed','processing','shipped','delivered','cancelled','refunded'";
const PAYMENT = "'pending','paid','failed','refunded'";

const ORDERS = `
    CREATE TABLE orders (
      id                   BIGSERIAL PRIMARY KEY,
      order_number         VARCHAR(32)  NOT NULL,
      user_id              BIGINT       NOT NULL,
      customer_email       VARCHAR(320) NOT NULL,
      customer_phone       VARCHAR(40),
      status               VARCHAR(16)  NOT NULL DEFAULT 'pending' CHECK (status IN (${STATUSES})),
      payment_status       VARCHAR(16)  NOT NULL DEFAULT 'pending' CHECK (payment_status IN (${PAYMENT})),
      currency             CHAR(3)      NOT NULL,
      subtotal_cents       BIGINT       NOT NULL CHECK (subtotal_cents >= 0),
      tax_cents            BIGINT       NOT NULL CHECK (tax_cents >= 0),
      shipping_cents       BIGINT       NOT NULL CHECK (shipping_cents >= 0),
      discount_cents       BIGINT       NOT NULL CHECK (discount_cents >= 0),
      total_cents          BIGINT       NOT NULL CHECK (total_cents >= 0),
      shipping_address     TEXT         NOT NULL,
      shipping_city        TEXT         NOT NULL,
      shipping_state       TEXT,
      shipping_postal_code TEXT         NOT NULL,
      shipping_country     TEXT         NOT NULL,
      billing_address      JSONB,
      notes                TEXT,
      tracking_number      VARCHAR(100),
      version              INTEGER      NOT NULL DEFAULT 1,
      created_at           TIMESTAMPTZ  NOT NULL DEFAULT now(),
      updated_at           TIMESTAMPTZ  NOT NULL DEFAULT now(),
      confirmed_at         TIMESTAMPTZ,
      processing_at        TIMESTAMPTZ,
      shipped_at           TIMESTAMPTZ,
      delivered_at         TIMESTAMPTZ,
      cancelled_at         TIMESTAMPTZ,
      refunded_at          TIMESTAMPTZ,
      CONSTRAINT orders_order_number_key UNIQUE (order_number)
    );
    CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC);
    CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
    CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);`;

const ORDER_ITEMS = `
    CREATE TABLE order_items (
      id                BIGSERIAL PRIMARY KEY,
      order_id          BIGINT  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
      product_id        BIGINT  NOT NULL,
      sku               TEXT,
      product_name      TEXT    NOT NULL,
      product_image     TEXT,
      quantity          INTEGER NOT NULL CHECK (quantity > 0),
      unit_price_cents  BIGINT  NOT NULL CHECK (unit_price_cents >= 0),
      total_price_cents BIGINT  NOT NULL CHECK (total_price_cents >= 0)
    );
    CREATE INDEX order_items_order_idx ON order_items (order_id);`;

const ORDER_STATUS_HISTORY = `
    CREATE TABLE order_status_history (
      id          BIGSERIAL PRIMARY KEY,
      order_id    BIGINT      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
      from_status VARCHAR(16),
      to_status   VARCHAR(16) NOT NULL,
      actor_id    BIGINT,
      actor_role  VARCHAR(16),
      reason      TEXT,
      created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);
  `;

export const up: MigrationFn = async ({ context: q }) => {
  await q.query(ORDERS + ORDER_ITEMS + ORDER_STATUS_HISTORY);
};

export const down: MigrationFn = async ({ context: q }) => {
  await q.query('DROP TABLE order_status_history; DROP TABLE order_items; DROP TABLE orders;');
};
