// One status change of an order inside a transaction: the conditional UPDATE, its history row and
// its event; shared by change-status, update-order and cancel-order.

import { Conflict, InvalidTransition, NotFound, notYourOrder, PreconditionFailed } from '../domain/errors.js';
import { canTransition, paidOnlySources, sourcesFor, timestampColumnFor, type OrderStatus } from '../domain/order-lifecycle.js';
import type { OrderCore, WriteOptions } from './order-core.js';
import { toEventPayload } from './order-events.js';
import type { Actor, Tx } from './ports.js';

export type MoveOptions = WriteOptions & { reason?: string | null; trackingNumber?: string | null; t: Tx };

/** Moves an order to `to` with one conditional UPDATE and a history row, in one transaction. */
export async function moveTo(core: OrderCore, actor: Actor, id: number, to: OrderStatus, opts: MoveOptions): Promise<OrderStatus> {
  const { orders: repo, outbox } = core;
  const asShopper = actor.role !== 'admin';
  const previous = await repo.transition(
    {
      id,
      to,
      sources: sourcesFor(to, asShopper ? 'user' : 'admin'),
      paidOnlySources: paidOnlySources(to),
      ownerId: asShopper ? actor.userId : undefined,
      expectedVersion: opts.expectedVersion,
      timestampColumn: timestampColumnFor(to),
      trackingNumber: opts.trackingNumber,
    },
    opts.t,
  );
  if (previous === null) throw await whyNot(core, actor, id, to, opts.expectedVersion, opts.t);
  await repo.addHistory(id, { from: previous, to, author: actor, reason: opts.reason ?? null }, opts.t);
  const order = (await repo.findById(id, opts.t))!;
  await outbox.add(
    {
      type: to === 'cancelled' ? 'order.cancelled' : 'order.status_changed',
      orderId: id,
      userId: order.userId,
      payload: { ...toEventPayload(order), from_status: previous, to_status: to, actor_id: actor.userId, reason: opts.reason ?? null },
    },
    opts.t,
  );
  return previous;
}

/** The reason a conditional change matched no row, read after the fact. */
async function whyNot(core: OrderCore, actor: Actor, id: number, to: OrderStatus, expectedVersion: number | undefined, t: Tx) {
  const current = await core.orders.findById(id, t);
  if (!current) return new NotFound();
  if (actor.role !== 'admin' && current.userId !== actor.userId) return notYourOrder(id);
  if (expectedVersion !== undefined && current.version !== expectedVersion) return new PreconditionFailed();
  if (actor.role !== 'admin' && to === 'cancelled' && canTransition(current.status, to, current.paymentStatus)) {
    return new Conflict(`Only pending or confirmed orders can be cancelled; this order is '${current.status}'`, {
      current_status: current.status,
    });
  }
  return new InvalidTransition(current.status, to);
}
