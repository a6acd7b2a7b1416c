// An admin changes an order's status and fields in one transaction (PATCH /admin/orders/{id}).

import { NotFound, PreconditionFailed } from '../domain/errors.js';
import type { OrderStatus, PaymentStatus } from '../domain/order-lifecycle.js';
import { requireAdmin, type OrderCore, type WriteOptions } from './order-core.js';
import { moveTo } from './order-transition.js';
import type { Actor } from './ports.js';

export interface UpdateOrderInput {
  status?: OrderStatus;
  payment_status?: PaymentStatus;
  tracking_number?: string | null;
  notes?: string | null;
  reason?: string;
}

export function createUpdateOrder(core: OrderCore) {
  const { orders: repo } = core;
  return async function updateOrder(actor: Actor, id: number, input: UpdateOrderInput, opts: WriteOptions = {}) {
    requireAdmin(actor);
    await core.uow.run(async (t) => {
      let expectedVersion = opts.expectedVersion;
      const fields = { paymentStatus: input.payment_status, trackingNumber: input.tracking_number, notes: input.notes };
      const hasFields = Object.values(fields).some((v) => v !== undefined);
      if (input.status !== undefined) {
        const current = await repo.findById(id, t);
        if (!current) throw new NotFound();
        if (current.status !== input.status) {
          await moveTo(core, actor, id, input.status, { expectedVersion, reason: input.reason, t });
          // the status change took one version; the field update must expect the next
          if (expectedVersion !== undefined) expectedVersion += 1;
        }
      }
      if (hasFields && !(await repo.updateFields(id, fields, expectedVersion, t))) {
        throw (await repo.findById(id, t)) ? new PreconditionFailed() : new NotFound();
      }
      if (input.status === undefined && !hasFields && !(await repo.findById(id, t))) throw new NotFound();
    });
    return (await repo.findById(id))!;
  };
}
