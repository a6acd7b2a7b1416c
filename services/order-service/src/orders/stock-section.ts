// Checkouts that take stock, batched per product set and run under the products' locks.
//
// Stock writes are serialised per product (the product service only sets absolute values), so a
// hot product allows one critical section at a time: lock, fresh read, reservation, PATCH, commit.
// Checkouts for the same products that arrive while one is running wait for the lock together and
// then go through it as one batch: one read, one reservation, one PATCH per product for their
// total, and all their orders in one transaction. Each is checked in arrival order against what
// the ones before it left, so the batch takes exactly what the same checkouts one by one would
// have taken, and refusals (409, 422) are per checkout. The crash-safety record is the same as for
// one checkout: the batch's reservation carries before/after of the whole batch.

import { DependencyUnavailable } from '../domain/errors.js';
import { admit, insertOrders, logCreated, MAX_BATCH, type CheckoutContext, type NewOrder } from './checkout-writes.js';
import { createKeyedBatcher, type BatchMember } from './keyed-batcher.js';
import type { OrderCore, OrderServiceDeps } from './order-core.js';
import { DEFAULT_LOCK_DEADLINES, type Actor, type CartLine, type CatalogProduct, type LockDeadlines, type LockedCheckout, type PeerContext } from './ports.js';
import { checkAvailable, PRODUCT_FETCH_CONCURRENCY, readProducts } from './product-availability.js';
import type { OrderRecord } from '../domain/records.js';
import { repairOrphanedStock } from './stock-repair.js';

export interface StockCheckout {
  actor: Actor;
  lines: CartLine[];
  /** prices the order from the products as read under the locks */
  build: (products: Map<number, CatalogProduct>) => NewOrder;
  ctx: CheckoutContext;
  fromCart: boolean;
}

type Member = BatchMember<StockCheckout, OrderRecord>;
type Taken = { member: Member; order: NewOrder };
interface StockChange {
  productId: number;
  quantity: number;
  stockBefore: number;
  stockAfter: number;
}
/** What one batch holds while it sells: its locks, its peer context and its reservation. */
interface Sale {
  locked: LockedCheckout;
  ctx: PeerContext;
  reservationId: Awaited<ReturnType<OrderCore['reservations']['record']>>;
}

/** Runs a checkout through its product set's next batch; resolves once its order is committed. */
export function createStockSection(core: OrderCore): (checkout: StockCheckout) => Promise<OrderRecord> {
  // a batch stays open to newcomers until it has its locks (or is full)
  const batcher = createKeyedBatcher<StockCheckout, OrderRecord>({
    maxBatch: MAX_BATCH,
    run: (key, take) => runBatch(core, key, take),
  });
  return (checkout) => batcher.join(checkout.lines.map((l) => l.productId).sort((a, b) => a - b).join(','), checkout);
}

async function runBatch(core: OrderCore, key: string, take: () => Member[]): Promise<void> {
  const productIds = key.split(',').map(Number);
  const done = await core.stockLocks.withProductLocks(
    productIds,
    (locked) => sellUnderLocks(core, productIds, take(), locked), // taken now: newcomers form the next batch
    lockDeadlinesFor(core.deps, productIds.length),
  );
  // resolved only now: the orders are committed with the lock transaction
  if (!done) return;
  done.taken.forEach((t, i) => t.member.resolve(done.created[i]!));
  logCreated(core, done.created);
}

/** Repair, admit, read, judge, reserve, PATCH and write the orders, all under the batch's locks. */
async function sellUnderLocks(core: OrderCore, productIds: number[], batch: Member[], locked: LockedCheckout) {
  const { catalog, log, singleSession } = core.deps;
  // the product service's calls on behalf of several shoppers carry none of their tokens (it
  // needs none): the first one's request id, for tracing
  const ctx: PeerContext = batch.length === 1 ? batch[0]!.input.ctx : { requestId: batch[0]!.input.ctx.requestId };
  // first give back what a checkout that died halfway left taken, before the stock moves on
  await repairOrphanedStock(productIds, { reservations: core.reservations, catalog, log }, ctx, locked.tx);
  const live = await admit(core, batch, locked.tx);
  if (live.length === 0) return null;
  const products = await readProducts(catalog, productIds, ctx);
  const taken = takeInTurn(live, products);
  if (taken.length === 0) return null;
  const changes = stockChanges(productIds, products, taken);
  // committed on its own before any PATCH (on a single-session database it can only share the lock's)
  const reservationId = await core.reservations.record(changes, locked.xid, singleSession ? locked.tx : undefined);
  const created = await applyAndCommit(core, { locked, ctx, reservationId }, changes, taken);
  return { taken, created };
}

/** The checkouts that can be had, each judged in arrival order against what the ones before it left. */
function takeInTurn(live: Member[], products: Map<number, CatalogProduct | null>): Taken[] {
  const left = new Map([...products].map(([id, p]) => [id, p?.stock ?? null]));
  const taken: Taken[] = [];
  for (const member of live) {
    const checkout = member.input;
    try {
      checkAvailable(checkout.lines, products, left);
      const order = checkout.build(products as Map<number, CatalogProduct>);
      for (const l of checkout.lines) {
        const stock = left.get(l.productId);
        if (stock !== null && stock !== undefined) left.set(l.productId, stock - l.quantity);
      }
      taken.push({ member, order });
    } catch (err) {
      member.reject(err); // this one alone: out of stock, unavailable, mixed currencies
    }
  }
  return taken;
}

/** One absolute stock value per product with managed stock, for the whole batch's total. */
function stockChanges(productIds: number[], products: Map<number, CatalogProduct | null>, taken: Taken[]): StockChange[] {
  return productIds
    .filter((id) => products.get(id)!.stock !== null)
    .map((id) => {
      const before = products.get(id)!.stock!;
      const after = before - taken.reduce((n, t) => n + (t.member.input.lines.find((l) => l.productId === id)?.quantity ?? 0), 0);
      return { productId: id, quantity: before - after, stockBefore: before, stockAfter: after };
    })
    .filter((c) => c.quantity > 0);
}

async function applyAndCommit(core: OrderCore, sale: Sale, changes: StockChange[], taken: Taken[]): Promise<OrderRecord[]> {
  const { locked, ctx, reservationId } = sale;
  const applied: StockChange[] = [];
  try {
    if (!(await locked.stillHeld())) throw lostLocks();
    for (const c of changes) {
      await core.deps.catalog.setStock(c.productId, c.stockAfter, ctx);
      applied.push(c);
    }
    core.deps.faults?.afterStockUpdate?.();
    const created = await insertOrders(core, taken.map((t) => ({ ...t.member.input, order: t.order })), locked.tx);
    await core.reservations.markApplied(reservationId, created[0]!.id, locked.tx);
    return created;
  } catch (err) {
    await compensate(core, sale, applied);
    throw err;
  }
}

/**
 * Gives the stock back while the locks are still ours; without them it is the repair's job (the
 * reservation's holder is then no longer running), never a blind PATCH.
 */
async function compensate(core: OrderCore, { locked, ctx, reservationId }: Sale, applied: StockChange[]): Promise<void> {
  const { catalog, log, singleSession } = core.deps;
  if (!(await locked.stillHeld())) {
    log?.warn({ reservation_id: reservationId }, 'stock locks lost: compensation deferred to the repair');
    return;
  }
  try {
    for (const c of applied.reverse()) await catalog.setStock(c.productId, c.stockBefore, ctx);
    await core.reservations.markReservation(reservationId, 'compensated', singleSession ? locked.tx : undefined);
  } catch {
    log?.warn({ reservation_id: reservationId }, 'stock compensation deferred to the reconciler');
  }
}

/**
 * Between two statements of a lock transaction run the product calls: the repair's, the reads
 * (PRODUCT_FETCH_CONCURRENCY at a time) and one PATCH per product, each bounded by the peer
 * timeout. Past that the process is stalled, and the server ends the transaction and frees the locks.
 */
function lockDeadlinesFor(deps: OrderServiceDeps, products: number): LockDeadlines {
  if (!deps.deadlines) return DEFAULT_LOCK_DEADLINES;
  const { statementTimeoutMs, peerTimeoutMs } = deps.deadlines;
  const calls = 2 + Math.ceil(products / PRODUCT_FETCH_CONCURRENCY) + products;
  const lockTimeoutMs = Math.min(DEFAULT_LOCK_DEADLINES.lockTimeoutMs, Math.floor(statementTimeoutMs / 2));
  return { lockTimeoutMs, statementTimeoutMs, idleTimeoutMs: calls * peerTimeoutMs + 5_000 };
}

/** The session holding a checkout's locks is gone (pooler or server ended it): nothing was taken. */
function lostLocks(): DependencyUnavailable {
  return new DependencyUnavailable('postgres', 'The order database is unavailable right now; retry shortly', 1);
}
