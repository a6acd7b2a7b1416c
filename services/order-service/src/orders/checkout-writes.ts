// The commit side of every checkout, with or without stock: admitting members whose idempotency key
// still holds, and writing their orders with items, history, event and recorded response.

import { newOrderNumber } from '../domain/order-number.js';
import type { NewOrderRecord, OrderRecord } from '../domain/records.js';
import type { BatchMember } from './keyed-batcher.js';
import type { OrderCore } from './order-core.js';
import { toEventPayload } from './order-events.js';
import { KeyTakenOver, type Actor, type KeyClaim, type PeerContext, type Tx } from './ports.js';

/** A checkout's context inside the service: with the claim on its key once placeOrder has one. */
export type CheckoutContext = PeerContext & { claim?: KeyClaim };

/** An order as priced, before it has a number. */
export type NewOrder = Omit<NewOrderRecord, 'orderNumber' | 'createdAt'>;

export interface OrderToWrite {
  actor: Actor;
  order: NewOrder;
  ctx: CheckoutContext;
  fromCart: boolean;
}

/** At most this many checkouts share one transaction (group commit) or one stock critical section. */
export const MAX_BATCH = 32;

/** Order numbers drawn for one order before giving up (a collision is 1 in 31^8 a day). */
const NUMBER_ATTEMPTS = 3;

/**
 * Locks the keys of the members that have one and turns away those whose key a retry has taken
 * over since (KeyTakenOver); the rest may commit in tx, which now holds their keys.
 */
export async function admit<M extends BatchMember<{ ctx: CheckoutContext }, OrderRecord>>(core: OrderCore, members: M[], tx: Tx): Promise<M[]> {
  const claims = members.flatMap((m) => (m.input.ctx.claim ? [m.input.ctx.claim] : []));
  const fenced = await core.idempotency.hold(claims, tx);
  if (fenced.size === 0) return members;
  return members.filter((m) => {
    const claim = m.input.ctx.claim;
    if (!claim || !fenced.has(claim)) return true;
    m.reject(new KeyTakenOver(claim));
    return false;
  });
}

/**
 * The orders of one checkout or one batch in tx (their keys held by it), each with its items,
 * history, roll-up, event and idempotency record: one statement for each kind of row, whatever the batch's size.
 */
export async function insertOrders(core: OrderCore, entries: OrderToWrite[], tx: Tx): Promise<OrderRecord[]> {
  const records = await insertNumbered(core, entries, tx);
  const events = entries.map(({ actor, ctx, fromCart }, i) => ({
    type: 'order.created' as const,
    orderId: records[i]!.id,
    userId: actor.userId,
    payload: toEventPayload(records[i]!),
    clearCart: fromCart,
    ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
  }));
  await core.outbox.addAll(events, tx);
  const responses = entries.flatMap(({ ctx }, i) =>
    ctx.claim ? [{ claim: ctx.claim, response: { status: 201, body: core.deps.respond(records[i]!), orderId: records[i]!.id } }] : [],
  );
  await core.idempotency.completeAll(responses, tx);
  return records;
}

/** Inserts every order with a fresh number; one whose number was taken (nothing of it written) draws again. */
async function insertNumbered(core: OrderCore, entries: OrderToWrite[], tx: Tx): Promise<OrderRecord[]> {
  const records: Array<OrderRecord | null> = entries.map(() => null);
  for (let attempt = 1; records.includes(null); attempt++) {
    if (attempt > NUMBER_ATTEMPTS) throw new Error(`order numbers collided ${NUMBER_ATTEMPTS} times`);
    const now = core.clock();
    const open = records.flatMap((r, i) => (r === null ? [i] : []));
    const numbers = distinctNumbers(open.length, now);
    const inserted = await core.orders.insertAll(
      open.map((i, k) => ({ order: { ...entries[i]!.order, orderNumber: numbers[k]!, createdAt: now }, author: entries[i]!.actor })),
      tx,
    );
    open.forEach((i, k) => (records[i] = inserted[k] ?? null));
  }
  return records as OrderRecord[];
}

/** n order numbers of the day, no two alike (the statement matches its rows back to the orders by number). */
function distinctNumbers(n: number, now: Date): string[] {
  const numbers = new Set<string>();
  while (numbers.size < n) numbers.add(newOrderNumber(now));
  return [...numbers];
}

export function logCreated(core: OrderCore, created: OrderRecord[]): void {
  for (const record of created) core.deps.log?.info({ order_id: record.id, user_id: record.userId }, 'order created');
}
