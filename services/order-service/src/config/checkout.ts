// What a checkout costs and keeps: prices, stock, idempotency keys, the outbox and its stream,
// and how long the retention purge keeps settled rows.
import { z } from 'zod';
import { toBasisPoints, toMinorUnits } from '../domain/money.js';
import type { Config } from './types.js';
import { boolText, decimalText, intText, rateText, type Parsed } from './values.js';

export const checkoutVariables = {
  TAX_RATE: rateText.default('0.10'),
  SHIPPING_FLAT: decimalText.default('10.00'),
  FREE_SHIPPING_THRESHOLD: decimalText.default('100.00'),
  STOCK_MANAGEMENT: boolText.default(true),
  IDEMPOTENCY_TTL_HOURS: intText(1, 24 * 365).default(24),
  IDEMPOTENCY_LEASE_SECONDS: intText(1, 3600).default(30),
  STOCK_RECONCILE_GRACE_SECONDS: intText(0, 86400).default(60),
  STOCK_RECONCILE_INTERVAL_SECONDS: intText(1, 86400).default(30),
  OUTBOX_INTERVAL_MS: intText(10, 600000).default(1000),
  RETENTION_OUTBOX_HOURS: intText(1, 24 * 3650).default(24 * 7),
  RETENTION_RESERVATIONS_HOURS: intText(1, 24 * 3650).default(24 * 30),
  RETENTION_BATCH_SIZE: intText(1, 10000).default(500),
  RETENTION_INTERVAL_SECONDS: intText(10, 86400).default(600),
  EVENTS_STREAM: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be a plain stream name').default('orders.events'),
  EVENTS_STREAM_MAX_LENGTH: intText(1000, 100_000_000).default(1_000_000),
};

export function checkoutConfig(e: Parsed<typeof checkoutVariables>): Pick<Config, 'pricing' | 'stockManagement' | 'idempotencyTtlHours' | 'retention' | 'checkout'> {
  return {
    pricing: {
      taxRate: e.TAX_RATE,
      taxRateBasisPoints: toBasisPoints(e.TAX_RATE),
      shippingFlatMinor: toMinorUnits(e.SHIPPING_FLAT),
      freeShippingThresholdMinor: toMinorUnits(e.FREE_SHIPPING_THRESHOLD),
    },
    stockManagement: e.STOCK_MANAGEMENT,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    retention: {
      outboxDeliveredHours: e.RETENTION_OUTBOX_HOURS,
      reservationsSettledHours: e.RETENTION_RESERVATIONS_HOURS,
      batchSize: e.RETENTION_BATCH_SIZE,
      intervalSeconds: e.RETENTION_INTERVAL_SECONDS,
    },
    checkout: {
      idempotencyLeaseSeconds: e.IDEMPOTENCY_LEASE_SECONDS,
      reconcileGraceSeconds: e.STOCK_RECONCILE_GRACE_SECONDS,
      reconcileIntervalSeconds: e.STOCK_RECONCILE_INTERVAL_SECONDS,
      outboxIntervalMs: e.OUTBOX_INTERVAL_MS,
      eventsStream: e.EVENTS_STREAM,
      eventsStreamMaxLength: e.EVENTS_STREAM_MAX_LENGTH,
    },
  };
}
