// The ordered list of migrations. Listed explicitly (not globbed) so the compiled build and the
// TypeScript sources load the same set.

import type { MigrationFn as UmzugMigrationFn } from 'umzug';
import * as orders from './0001-orders.js';
import * as checkoutSafety from './0002-checkout-safety.js';
import * as dailyStats from './0003-daily-stats.js';
import * as pendingByProduct from './0004-pending-by-product.js';
import * as fencing from './0005-fencing.js';
import * as createdCovering from './0006-created-covering.js';
import * as trendsAndTopProducts from './0007-trends-and-top-products.js';
import * as searchIndexes from './0008-search-indexes.js';
import * as outboxTraceparent from './0009-outbox-traceparent.js';
import * as webhooks from './0010-webhooks.js';
import * as seriesByQuarter from './0011-series-by-quarter.js';
import * as itemsOrderKeys from './0012-items-order-keys.js';
import * as seriesByDay from './0013-series-by-day.js';
import * as itemsByCreated from './0014-items-by-created.js';
import * as seriesByTimeOfDay from './0015-series-by-time-of-day.js';

/** What a migration may do: run SQL inside the one transaction that applies the pending set. */
export interface MigrationContext {
  query(sql: string): Promise<void>;
  /** the rows of a SELECT (a migration that works in chunks reads where to stop) */
  select(sql: string): Promise<Array<Record<string, unknown>>>;
}

export type MigrationFn = UmzugMigrationFn<MigrationContext>;

export const migrations: Array<{ name: string; up: MigrationFn; down: MigrationFn }> = [
  { name: '0001-orders', ...orders },
  { name: '0002-checkout-safety', ...checkoutSafety },
  { name: '0003-daily-stats', ...dailyStats },
  { name: '0004-pending-by-product', ...pendingByProduct },
  { name: '0005-fencing', ...fencing },
  { name: '0006-created-covering', ...createdCovering },
  { name: '0007-trends-and-top-products', ...trendsAndTopProducts },
  { name: '0008-search-indexes', ...searchIndexes },
  { name: '0009-outbox-traceparent', ...outboxTraceparent },
  { name: '0010-webhooks', ...webhooks },
  { name: '0011-series-by-quarter', ...seriesByQuarter },
  { name: '0012-items-order-keys', ...itemsOrderKeys },
  { name: '0013-series-by-day', ...seriesByDay },
  { name: '0014-items-by-created', ...itemsByCreated },
  { name: '0015-series-by-time-of-day', ...seriesByTimeOfDay },
];
