// Pages of orders: a shopper's own, or any for an admin with filters.

import type { OrderStatus } from '../domain/order-lifecycle.js';
import { requireAdmin, type OrderCore } from './order-core.js';
import type { Actor } from './ports.js';

export const MAX_PAGE_SIZE = 100;

export function createListOrders(core: OrderCore) {
  const { orders: repo } = core;

  async function listOrders(actor: Actor, q: { page?: number; size?: number; status?: OrderStatus }) {
    const { limit, offset } = pageOf(q);
    return repo.list({ userId: actor.userId, status: q.status, limit, offset });
  }

  async function adminListOrders(
    actor: Actor,
    q: { page?: number; size?: number; status?: OrderStatus; userId?: number; from?: Date; to?: Date },
  ) {
    requireAdmin(actor);
    const { limit, offset } = pageOf(q);
    return repo.list({ userId: q.userId, status: q.status, from: q.from, to: q.to, limit, offset });
  }

  return { listOrders, adminListOrders };
}

function pageOf(q: { page?: number; size?: number }) {
  const size = Math.min(Math.max(Math.trunc(q.size ?? 20), 1), MAX_PAGE_SIZE);
  const page = Math.max(Math.trunc(q.page ?? 1), 1);
  return { limit: size, offset: (page - 1) * size };
}
