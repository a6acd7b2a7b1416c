// One order, for its owner or an admin.

import { NotFound, notYourOrder } from '../domain/errors.js';
import type { OrderCore } from './order-core.js';
import type { Actor } from './ports.js';
import type { OrderRecord } from '../domain/records.js';

export function createGetOrder(core: OrderCore) {
  return async function getOrder(actor: Actor, id: number): Promise<OrderRecord> {
    const order = await core.orders.findById(id);
    // someone else's order does not exist for this caller: 404, not 403
    if (!order) throw new NotFound();
    if (actor.role !== 'admin' && order.userId !== actor.userId) throw notYourOrder(id);
    return order;
  };
}
