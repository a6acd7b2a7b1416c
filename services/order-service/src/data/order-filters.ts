// The WHERE conditions the admin list, the search and the export share: one spelling of each
// filter, bound by name (never interpolated).

import type { OrderStatus } from '../domain/order-lifecycle.js';

export interface OrderFilter {
  userId?: number;
  status?: OrderStatus;
  /** created at or after */
  from?: Date;
  /** created before */
  to?: Date;
}

/** Appends the filter's conditions on orders `o` to conds and their values to bind. */
export function addOrderFilter(filter: OrderFilter, conds: string[], bind: Record<string, unknown>): void {
  if (filter.userId !== undefined) {
    conds.push('o.user_id = $user');
    bind.user = filter.userId;
  }
  if (filter.status !== undefined) {
    conds.push('o.status = $status');
    bind.status = filter.status;
  }
  if (filter.from !== undefined) {
    conds.push('o.created_at >= $from');
    bind.from = filter.from;
  }
  if (filter.to !== undefined) {
    conds.push('o.created_at < $to');
    bind.to = filter.to;
  }
}
