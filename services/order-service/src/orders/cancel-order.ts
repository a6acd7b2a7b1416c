// A shopper cancels their own pending or confirmed order, or an admin any cancellable one; the row stays.

import type { OrderCore, WriteOptions } from './order-core.js';
import { moveTo } from './order-transition.js';
import type { Actor } from './ports.js';

export function createCancelOrder(core: OrderCore) {
  return async function cancelOrder(actor: Actor, id: number, opts: WriteOptions & { reason?: string } = {}) {
    const reason = opts.reason ?? (actor.role === 'admin' ? 'cancelled by admin' : 'cancelled by customer');
    await core.uow.run((t) => moveTo(core, actor, id, 'cancelled', { ...opts, reason, t }));
    return (await core.orders.findById(id))!;
  };
}
