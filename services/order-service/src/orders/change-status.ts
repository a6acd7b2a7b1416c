// An admin moves an order to another status (PATCH /admin/orders/{id}/status).

import type { OrderStatus } from '../domain/order-lifecycle.js';
import { requireAdmin, type OrderCore, type WriteOptions } from './order-core.js';
import { moveTo } from './order-transition.js';
import type { Actor } from './ports.js';

export interface ChangeStatusInput {
  status: OrderStatus;
  reason?: string;
  tracking_number?: string;
}

export function createChangeStatus(core: OrderCore) {
  return async function changeStatus(actor: Actor, id: number, input: ChangeStatusInput, opts: WriteOptions = {}) {
    requireAdmin(actor);
    await core.uow.run((t) =>
      moveTo(core, actor, id, input.status, { ...opts, reason: input.reason, trackingNumber: input.tracking_number, t }),
    );
    return (await core.orders.findById(id))!;
  };
}
