// The commit side of every checkout, with or without stock: admitting members whose idempotency key
// still holds, and writing their orders with items, history, event and recorded response.

import type { Transaction } from 'sequelize';
import { KeyTakenOver, type KeyClaim } from '../data/idempotency-store.js';
import type { NewOrder as NewOrderRow } from '../data/order-repository.js';
import { newOrderNumber } from '../domain/order-number.js';
import type { BatchMember } from './keyed-batcher.js';
import type { OrderCore } from './order-core.js';
import type { Actor, PeerContext } from './ports.js';
import type { OrderRecord } from './records.js';
import { toEventPayload, toOrderJson } from './views.js';

/** A checkout's context inside the service: with the claim on its key once placeOrder has one. */
export type CheckoutContext = PeerContext & { claim?: KeyClaim };

/** An order as priced, before it has a number. */
export type NewOrder = Omit<NewOrderRow, 'orderNumber' | 'createdAt'>;

export interface OrderToWrite {
  actor: Actor;
  order: NewOrder;
  ctx: CheckoutContext;
  fromCart: boolean;
}

/** At most this many checkouts share one transaction (group commit) or one stock critical section. */
export const MAX_BATCH = 32;

/**
 * Locks the keys of the members that have one and turns away those whose key a retry has taken
 * over since (KeyTakenOver); the rest may commit in transaction t, which now holds their keys.
 */
export async function admit<M extends BatchMember<{ ctx: CheckoutContext }, OrderRecord>>(
  core: OrderCore,
  members: M[],
  t: Transaction,
): Promise<M[]> {
  const claims = members.flatMap((m) => (m.input.ctx.claim ? [m.input.ctx.claim] : []));
  const fenced = await core.idempotency.hold(claims, t);
  if (fenced.size === 0) return members;
  return members.filter((m) => {
    const claim = m.input.ctx.claim;
    if (!claim || !fenced.has(claim)) return true;
    m.reject(new KeyTakenOver(claim));
    return false;
  });
}

/**
 * The orders of one checkout or one batch in transaction t (their keys held by it): each with its
 * items, history, roll-ups, event and idempotency record, as the insert gave it back, in three
 * statements whatever the batch's size. An order-number collision (1 in 31^8 a day) writes nothing
 * of that order, which is inserted again with a fresh number.
 */
export async function insertOrders(core: OrderCore, entries: OrderToWrite[], t: Transaction): Promise<OrderRecord[]> {
  const records: Array<OrderRecord | null> = entries.map(() => null);
  for (let attempt = 1; records.includes(null); attempt++) {
    if (attempt > 3) throw new Error('order numbers collided three times');
    const todo = entries.flatMap((e, i) => (records[i] === null ? [i] : []));
    const now = core.clock();
    const numbers = new Set<string>();
    // distinct within the batch too: the insert skips a repeated number and would hand both entries one order
    while (numbers.size < todo.length) numbers.add(newOrderNumber(now));
    const orderNumbers = [...numbers];
    const inserted = await core.repo.insertMany(
      todo.map((i, k) => ({ order: { ...entries[i]!.order, orderNumber: orderNumbers[k]!, createdAt: now }, actor: entries[i]!.actor })),
      t,
    );
    todo.forEach((i, k) => (records[i] = inserted[k]!));
  }
  const created = records as OrderRecord[];
  await core.outbox.addMany(
    created.map((record, i) => {
      const { actor, ctx, fromCart } = entries[i]!;
      return { type: 'order.created' as const, orderId: record.id, userId: actor.userId, payload: toEventPayload(record), clearCart: fromCart, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) };
    }),
    t,
  );
  await core.idempotency.completeMany(
    created.flatMap((record, i) => {
      const { claim } = entries[i]!.ctx;
      return claim ? [{ claim, response: { status: 201, body: toOrderJson(record), orderId: record.id } }] : [];
    }),
    t,
  );
  return created;
}

export function logCreated(core: OrderCore, created: OrderRecord[]): void {
  for (const record of created) core.deps.log?.info({ order_id: record.id, user_id: record.userId }, 'order created');
}
