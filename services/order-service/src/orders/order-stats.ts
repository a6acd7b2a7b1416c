// Admin statistics over a range, with today and this month counted from UTC midnights.

import { requireAdmin, type OrderCore } from './order-core.js';
import type { Actor } from './ports.js';

export function createOrderStats(core: OrderCore) {
  return async function stats(actor: Actor, range: { from?: Date; to?: Date } = {}) {
    requireAdmin(actor);
    const now = core.clock();
    const todayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    return core.orders.stats({ ...range, todayStart, monthStart });
  };
}
