// The order use cases: create, list, read, update, change status, cancel, statistics.
// No Express here and no SQL: persistence is data/order-repository.ts, peers come in as ports.

import { createHash } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { Database } from '../data/database.js';
import { createIdempotencyStore, KeyTakenOver, type KeyClaim } from '../data/idempotency-store.js';
import { createOrderRepository } from '../data/order-repository.js';
import { createKeyedBatcher, type BatchMember } from './keyed-batcher.js';
import { createOutbox } from '../data/outbox.js';
import { repairOrphanedStock } from './stock-repair.js';
import { DEFAULT_LOCK_DEADLINES, withProductLocks, type LockDeadlines } from '../data/stock-locks.js';
import { createStockReservations } from '../data/stock-reservations.js';
import {
  Conflict,
  DependencyUnavailable,
  Forbidden,
  InvalidTransition,
  NotFound,
  notYourOrder,
  PreconditionFailed,
  Unprocessable,
  ValidationFailed,
} from '../domain/errors.js';
import {
  canTransition,
  paidOnlySources,
  sourcesFor,
  timestampColumnFor,
  type OrderStatus,
  type PaymentStatus,
} from '../domain/order-lifecycle.js';
import { newOrderNumber } from '../domain/order-number.js';
import { computeTotals, lineTotal, type Pricing } from '../domain/totals.js';
import type { AccountGate } from './account-gate.js';
import type { Actor, Cart, CartLine, Catalog, CatalogProduct, PeerContext } from './ports.js';
import type { Address, OrderRecord } from './records.js';
import { toOrderJson } from './views.js';

export interface CreateOrderInput {
  items?: Array<{ product_id: number; quantity: number }>;
  shipping_address?: Address | null;
  billing_address?: Address | null;
  customer_email?: string;
  customer_phone?: string | null;
  notes?: string | null;
}

export interface UpdateOrderInput {
  status?: OrderStatus;
  payment_status?: PaymentStatus;
  tracking_number?: string | null;
  notes?: string | null;
  reason?: string;
}

export interface ChangeStatusInput {
  status: OrderStatus;
  reason?: string;
  tracking_number?: string;
}

export interface WriteOptions {
  expectedVersion?: number;
}

export interface OrderServiceDeps {
  sequelize: Database;
  catalog: Catalog;
  cart: Cart;
  /** asks the user service whether the caller may still buy (off without USER_SERVICE_URL) */
  accountGate?: AccountGate;
  pricing: Pricing;
  clock?: () => Date;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** take and give back stock at the product service (STOCK_MANAGEMENT) */
  stockManagement?: boolean;
  idempotency?: { ttlHours: number; leaseSeconds?: number };
  /**
   * an embedded database with one backend session (PGlite in development): a second connection
   * waits for any open transaction, so the stock record shares the lock transaction (no crash safety)
   */
  singleSession?: boolean;
  /** what the stock lock transaction's deadlines are made of */
  deadlines?: { statementTimeoutMs: number; peerTimeoutMs: number };
  /** test hooks: called at fault points (the crash-safety tests kill the process there) */
  faults?: { afterStockUpdate?: () => void };
}

export type PlaceOrderContext = PeerContext & { idempotencyKey?: string };
/** A checkout's context inside the service: with the claim on its key once placeOrder has one. */
type CheckoutContext = PeerContext & { claim?: KeyClaim };

export const MAX_PAGE_SIZE = 100;
const MAX_QUANTITY = 1000;
const PRODUCT_FETCH_CONCURRENCY = 8;
/** At most this many checkouts go through one stock critical section together. */
const MAX_BATCH = 32;
/** Transactions that commit orders without stock at once (the rest of the pool, 10 by default, stays for reads). */
const COMMITTERS = 3;

type NewOrder = Omit<Parameters<ReturnType<typeof createOrderRepository>['insert']>[0], 'orderNumber' | 'createdAt'>;

export function createOrderService(deps: OrderServiceDeps) {
  const db = deps.sequelize;
  const repo = createOrderRepository(db);
  const clock = deps.clock ?? (() => new Date());

  const idempotency = createIdempotencyStore(db, deps.idempotency ?? { ttlHours: 24 });
  const outbox = createOutbox(db);
  const reservations = createStockReservations(db);

  /**
   * POST /orders: with an Idempotency-Key the first response is recorded with the order and
   * replayed for a retry; a different body under the key is 422, a concurrent duplicate 409.
   */
  async function placeOrder(actor: Actor, input: CreateOrderInput, ctx: PlaceOrderContext = {}) {
    const { idempotencyKey: key, ...peer } = ctx;
    if (key === undefined) return { order: toOrderJson(await createOrder(actor, input, peer)), replayed: false };
    const fingerprint = fingerprintOf(input);
    const begun = await idempotency.begin(actor.userId, key, fingerprint);
    if (begun.kind === 'replay') return { order: begun.body as ReturnType<typeof toOrderJson>, replayed: true };
    const claim: KeyClaim = { userId: actor.userId, key, token: begun.token };
    try {
      return { order: toOrderJson(await createOrder(actor, input, { ...peer, claim })), replayed: false };
    } catch (err) {
      if (err instanceof KeyTakenOver) {
        // fenced off: nothing of ours committed; answer with what the key says now
        const now = await idempotency.outcome(actor.userId, key, fingerprint);
        if (now?.kind === 'replay') return { order: now.body as ReturnType<typeof toOrderJson>, replayed: true };
        throw new Conflict('A request with this Idempotency-Key is still being processed; retry shortly', { idempotency_key: key });
      }
      await idempotency.release(claim).catch(() => undefined);
      throw err;
    }
  }

  async function createOrder(actor: Actor, input: CreateOrderInput, ctx: CheckoutContext = {}): Promise<OrderRecord> {
    if (!input.shipping_address) {
      throw new ValidationFailed('A shipping address is required', [
        { field: 'shipping_address', message: 'is required' },
      ]);
    }
    // a blocked shopper's token stays valid until it expires; refused before the cart, products or stock are touched
    await deps.accountGate?.admit(actor, ctx);
    const fromCart = input.items === undefined;
    const lines = mergeLines(input.items ?? (await deps.cart.getLines(actor.userId, ctx)));
    if (lines.length === 0) {
      throw new Unprocessable('empty-cart', fromCart ? 'Your cart is empty' : 'An order needs at least one item');
    }
    const shipping = input.shipping_address;
    const build = (products: Map<number, CatalogProduct>) => {
      const priced = lines.map((line) => {
        const p = products.get(line.productId)!;
        return {
          productId: p.id,
          sku: p.sku,
          productName: p.title,
          productImage: p.image,
          quantity: line.quantity,
          unitPriceMinor: p.priceMinor,
          totalPriceMinor: lineTotal({ unitPriceMinor: p.priceMinor, quantity: line.quantity }),
        };
      });
      const currency = products.get(lines[0]!.productId)!.currency;
      if (priced.some((l) => products.get(l.productId)!.currency !== currency)) {
        throw new Unprocessable('mixed-currency', 'All items of an order must be priced in one currency');
      }
      const totals = computeTotals(priced, deps.pricing);
      return {
        userId: actor.userId,
        customerEmail: actor.email,
        customerPhone: input.customer_phone ?? null,
        currency,
        subtotalMinor: totals.subtotal,
        taxMinor: totals.tax,
        shippingMinor: totals.shipping,
        discountMinor: totals.discount,
        totalMinor: totals.total,
        shipping,
        billing: input.billing_address ?? null,
        notes: input.notes ?? null,
        items: priced,
      };
    };

    if (!deps.stockManagement) {
      const order = build(await fetchProducts(lines, ctx));
      return committer.join('', { actor, order, ctx, fromCart });
    }
    const productSet = lines.map((l) => l.productId).sort((a, b) => a - b).join(',');
    return stockBatches.join(productSet, { actor, lines, build, ctx, fromCart });
  }

  // ---- checkouts without stock: group commit ---------------------------------------------------
  //
  // Orders that need no lock still share transactions under load: at most COMMITTERS transactions
  // run at once, and each takes every order waiting when it starts (up to MAX_BATCH). On its own an
  // order commits at once; many at a time cost one BEGIN/COMMIT (and one WAL flush) per group.

  interface Ready {
    actor: Actor;
    order: NewOrder;
    ctx: CheckoutContext;
    fromCart: boolean;
  }
  const committer = createKeyedBatcher<Ready, OrderRecord>({
    maxBatch: MAX_BATCH,
    runnersPerKey: COMMITTERS,
    async run(_key, take) {
      const group = take();
      if (group.length === 0) return;
      const { live, created } = await db.transaction(async (t) => {
        const admitted = await admit(group, t);
        return { live: admitted, created: await insertOrders(admitted.map((m) => m.input), t) };
      });
      live.forEach((m, i) => m.resolve(created[i]!));
      logCreated(created);
    },
  });

  /**
   * Locks the keys of the members that have one and turns away those whose key a retry has taken
   * over since (KeyTakenOver); the rest may commit in transaction t, which now holds their keys.
   */
  async function admit<M extends BatchMember<{ ctx: CheckoutContext }, OrderRecord>>(members: M[], t: Transaction): Promise<M[]> {
    const claims = members.flatMap((m) => (m.input.ctx.claim ? [m.input.ctx.claim] : []));
    const fenced = await idempotency.hold(claims, t);
    if (fenced.size === 0) return members;
    return members.filter((m) => {
      const claim = m.input.ctx.claim;
      if (!claim || !fenced.has(claim)) return true;
      m.reject(new KeyTakenOver(claim));
      return false;
    });
  }

  // ---- checkouts with stock: batched per product set ------------------------------------------
  //
  // Stock writes are serialised per product (the product service only sets absolute values), so a
  // hot product allows one critical section at a time: lock, fresh read, reservation, PATCH, commit.
  // Checkouts for the same products that arrive while one is running wait for the lock together and
  // then go through it as one batch: one read, one reservation, one PATCH per product for their
  // total, and all their orders in one transaction. Each is checked in arrival order against what
  // the ones before it left, so the batch takes exactly what the same checkouts one by one would
  // have taken, and refusals (409, 422) are per checkout. The crash-safety record is the same as for
  // one checkout: the batch's reservation carries before/after of the whole batch.

  interface Checkout {
    actor: Actor;
    lines: CartLine[];
    build: (products: Map<number, CatalogProduct>) => NewOrder;
    ctx: CheckoutContext;
    fromCart: boolean;
  }
  type CheckoutMember = BatchMember<Checkout, OrderRecord>;

  // keyed by product set; a batch stays open to newcomers until it has its locks (or is full)
  const stockBatches = createKeyedBatcher<Checkout, OrderRecord>({ maxBatch: MAX_BATCH, run: runBatch });

  async function runBatch(key: string, take: () => CheckoutMember[]): Promise<void> {
    const productIds = key.split(',').map(Number);
    const done = await withProductLocks(
      db,
      productIds,
      async (locked) => {
        const batch = take(); // newcomers form the next batch
        // the product service's calls on behalf of several shoppers carry none of their tokens (it
        // needs none): the first one's request id, for tracing
        const ctx: PeerContext = batch.length === 1 ? batch[0]!.input.ctx : { requestId: batch[0]!.input.ctx.requestId };
        // first give back what a checkout that died halfway left taken, before the stock moves on
        await repairOrphanedStock(productIds, { reservations, catalog: deps.catalog, log: deps.log }, ctx, locked.transaction);
        const live = await admit(batch, locked.transaction);
        if (live.length === 0) return null;
        const products = await readProducts(productIds, ctx);
        const taken = takeInTurn(live, products);
        if (taken.length === 0) return null;
        const changes = productIds
          .filter((id) => products.get(id)!.stock !== null)
          .map((id) => {
            const before = products.get(id)!.stock!;
            const after = before - taken.reduce((n, t) => n + (t.member.input.lines.find((l) => l.productId === id)?.quantity ?? 0), 0);
            return { productId: id, quantity: before - after, stockBefore: before, stockAfter: after };
          })
          .filter((c) => c.quantity > 0);
        // committed on its own before any PATCH (on a single-session database it can only share the lock's)
        const reservationId = await reservations.record(changes, locked.xid, deps.singleSession ? locked.transaction : undefined);
        const applied: typeof changes = [];
        try {
          if (!(await locked.stillHeld())) throw lostLocks();
          for (const c of changes) {
            await deps.catalog.setStock(c.productId, c.stockAfter, ctx);
            applied.push(c);
          }
          deps.faults?.afterStockUpdate?.();
          const created = await insertOrders(taken.map((t) => ({ ...t.member.input, order: t.order })), locked.transaction);
          await reservations.markApplied(reservationId, created[0]!.id, locked.transaction);
          return { taken, created };
        } catch (err) {
          // give the stock back while the locks are still ours; without them it is the repair's job
          // (the reservation's holder is then no longer running), never a blind PATCH
          if (await locked.stillHeld()) {
            try {
              for (const c of applied.reverse()) await deps.catalog.setStock(c.productId, c.stockBefore, ctx);
              await reservations.markReservation(reservationId, 'compensated', deps.singleSession ? locked.transaction : undefined);
            } catch {
              deps.log?.warn({ reservation_id: reservationId }, 'stock compensation deferred to the reconciler');
            }
          } else {
            deps.log?.warn({ reservation_id: reservationId }, 'stock locks lost: compensation deferred to the repair');
          }
          throw err;
        }
      },
      lockDeadlinesFor(productIds.length),
    );
    // resolved only now: the orders are committed with the lock transaction
    if (!done) return;
    done.taken.forEach((t, i) => t.member.resolve(done.created[i]!));
    logCreated(done.created);
  }

  /**
   * Between two statements of a lock transaction run the product calls: the repair's, the reads
   * (PRODUCT_FETCH_CONCURRENCY at a time) and one PATCH per product, each bounded by the peer
   * timeout. Past that the process is stalled, and the server ends the transaction and frees the locks.
   */
  function lockDeadlinesFor(products: number): LockDeadlines {
    if (!deps.deadlines) return DEFAULT_LOCK_DEADLINES;
    const { statementTimeoutMs, peerTimeoutMs } = deps.deadlines;
    const calls = 2 + Math.ceil(products / PRODUCT_FETCH_CONCURRENCY) + products;
    const lockTimeoutMs = Math.min(DEFAULT_LOCK_DEADLINES.lockTimeoutMs, Math.floor(statementTimeoutMs / 2));
    return { lockTimeoutMs, statementTimeoutMs, idleTimeoutMs: calls * peerTimeoutMs + 5_000 };
  }

  /** The checkouts that can be had, each judged in arrival order against what the ones before it left. */
  function takeInTurn(live: CheckoutMember[], products: Map<number, CatalogProduct | null>): Array<{ member: CheckoutMember; order: NewOrder }> {
    const left = new Map([...products].map(([id, p]) => [id, p?.stock ?? null]));
    const taken: Array<{ member: CheckoutMember; order: NewOrder }> = [];
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

  /** Fresh product reads, at most PRODUCT_FETCH_CONCURRENCY at once; null for a product that is not there. */
  async function readProducts(ids: number[], ctx: PeerContext): Promise<Map<number, CatalogProduct | null>> {
    const found = new Map<number, CatalogProduct | null>();
    for (let i = 0; i < ids.length; i += PRODUCT_FETCH_CONCURRENCY) {
      const batch = ids.slice(i, i + PRODUCT_FETCH_CONCURRENCY);
      const products = await Promise.all(batch.map((id) => deps.catalog.getProduct(id, ctx)));
      batch.forEach((id, k) => found.set(id, products[k] ?? null));
    }
    return found;
  }

  /** Throws the refusal of the first line that cannot be had: unavailable (422) or short of stock (409). */
  function checkAvailable(lines: CartLine[], products: Map<number, CatalogProduct | null>, left: Map<number, number | null>): void {
    for (const line of lines) {
      const p = products.get(line.productId);
      if (!p || !p.isActive) {
        throw new Unprocessable('product-unavailable', `Product ${line.productId} is not available`, { product_id: line.productId });
      }
      const stock = left.get(line.productId) ?? p.stock;
      if (stock !== null && stock < line.quantity) {
        throw new Conflict(`Only ${stock} of product ${p.id} (${p.title}) in stock, ${line.quantity} requested`, {
          product_id: p.id,
          available: stock,
        });
      }
    }
  }

  /**
   * The orders of one checkout or one batch in transaction t (their keys held by it): each with its
   * items, history, roll-up, event and idempotency record, as its insert statement gave it back. An
   * order-number collision (1 in 31^8 a day) writes nothing and is retried with a fresh number.
   */
  async function insertOrders(entries: Array<{ actor: Actor; order: NewOrder; ctx: CheckoutContext; fromCart: boolean }>, t: Transaction): Promise<OrderRecord[]> {
    const records: OrderRecord[] = [];
    for (const { actor, order, ctx, fromCart } of entries) {
      let record: OrderRecord | null = null;
      for (let attempt = 1; !record; attempt++) {
        const now = clock();
        record = await repo.insert({ ...order, orderNumber: newOrderNumber(now), createdAt: now }, actor, t);
        if (!record && attempt >= 3) throw new Error('order numbers collided three times');
      }
      const orderId = record.id;
      await outbox.add({ type: 'order.created', orderId, userId: actor.userId, payload: eventPayload(record), clearCart: fromCart, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) }, t);
      if (ctx.claim) await idempotency.complete(ctx.claim, { status: 201, body: toOrderJson(record), orderId }, t);
      records.push(record);
    }
    return records;
  }

  function logCreated(created: OrderRecord[]): void {
    for (const record of created) deps.log?.info({ order_id: record.id, user_id: record.userId }, 'order created');
  }

  function mergeLines(lines: readonly CartLine[] | ReadonlyArray<{ product_id: number; quantity: number }>): CartLine[] {
    const merged = new Map<number, number>();
    for (const raw of lines) {
      const productId = 'productId' in raw ? raw.productId : raw.product_id;
      const quantity = raw.quantity;
      if (!Number.isSafeInteger(productId) || productId < 1 || !Number.isSafeInteger(quantity) || quantity < 1) {
        throw new ValidationFailed('Each item needs a positive product_id and quantity', [
          { field: 'items', message: 'product_id and quantity must be positive integers' },
        ]);
      }
      merged.set(productId, (merged.get(productId) ?? 0) + quantity);
    }
    const out = [...merged].map(([productId, quantity]) => ({ productId, quantity }));
    const tooMany = out.find((l) => l.quantity > MAX_QUANTITY);
    if (tooMany) {
      throw new ValidationFailed(`At most ${MAX_QUANTITY} of one product per order`, [
        { field: 'items', message: `quantity of product ${tooMany.productId} exceeds ${MAX_QUANTITY}` },
      ]);
    }
    return out;
  }

  async function fetchProducts(lines: CartLine[], ctx: PeerContext): Promise<Map<number, CatalogProduct>> {
    const products = await readProducts(lines.map((l) => l.productId), ctx);
    checkAvailable(lines, products, new Map());
    return products as Map<number, CatalogProduct>;
  }

  async function getOrder(actor: Actor, id: number): Promise<OrderRecord> {
    const order = await repo.findById(id);
    // someone else's order does not exist for this caller: 404, not 403
    if (!order) throw new NotFound();
    if (actor.role !== 'admin' && order.userId !== actor.userId) throw notYourOrder(id);
    return order;
  }

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

  /** Moves an order to `to` with one conditional UPDATE and a history row, in one transaction. */
  async function moveTo(
    actor: Actor,
    id: number,
    to: OrderStatus,
    opts: WriteOptions & { reason?: string | null; trackingNumber?: string | null; t: Transaction },
  ): Promise<OrderStatus> {
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
    if (previous === null) throw await whyNot(actor, id, to, opts.expectedVersion, opts.t);
    await repo.addHistory(id, previous, to, actor, opts.reason ?? null, opts.t);
    const order = (await repo.findById(id, opts.t))!;
    await outbox.add(
      {
        type: to === 'cancelled' ? 'order.cancelled' : 'order.status_changed',
        orderId: id,
        userId: order.userId,
        payload: { ...eventPayload(order), from_status: previous, to_status: to, actor_id: actor.userId, reason: opts.reason ?? null },
      },
      opts.t,
    );
    return previous;
  }

  /** The reason a conditional change matched no row, read after the fact. */
  async function whyNot(actor: Actor, id: number, to: OrderStatus, expectedVersion: number | undefined, t: Transaction) {
    const current = await repo.findById(id, t);
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

  async function changeStatus(actor: Actor, id: number, input: ChangeStatusInput, opts: WriteOptions = {}) {
    requireAdmin(actor);
    await db.transaction((t) =>
      moveTo(actor, id, input.status, { ...opts, reason: input.reason, trackingNumber: input.tracking_number, t }),
    );
    return (await repo.findById(id))!;
  }

  async function updateOrder(actor: Actor, id: number, input: UpdateOrderInput, opts: WriteOptions = {}) {
    requireAdmin(actor);
    await db.transaction(async (t) => {
      let expectedVersion = opts.expectedVersion;
      const fields = { paymentStatus: input.payment_status, trackingNumber: input.tracking_number, notes: input.notes };
      const hasFields = Object.values(fields).some((v) => v !== undefined);
      if (input.status !== undefined) {
        const current = await repo.findById(id, t);
        if (!current) throw new NotFound();
        if (current.status !== input.status) {
          await moveTo(actor, id, input.status, { expectedVersion, reason: input.reason, t });
          if (expectedVersion !== undefined) expectedVersion += 1;
        }
      }
      if (hasFields && !(await repo.updateFields(id, fields, expectedVersion, t))) {
        throw (await repo.findById(id, t)) ? new PreconditionFailed() : new NotFound();
      }
      if (input.status === undefined && !hasFields && !(await repo.findById(id, t))) throw new NotFound();
    });
    return (await repo.findById(id))!;
  }

  async function cancelOrder(actor: Actor, id: number, opts: WriteOptions & { reason?: string } = {}) {
    await db.transaction((t) =>
      moveTo(actor, id, 'cancelled', { ...opts, reason: opts.reason ?? (actor.role === 'admin' ? 'cancelled by admin' : 'cancelled by customer'), t }),
    );
    return (await repo.findById(id))!;
  }

  async function stats(actor: Actor, range: { from?: Date; to?: Date } = {}) {
    requireAdmin(actor);
    const now = clock();
    const todayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    return repo.stats({ ...range, todayStart, monthStart });
  }

  return { placeOrder, createOrder, getOrder, listOrders, adminListOrders, changeStatus, updateOrder, cancelOrder, stats };
}

export type OrderService = ReturnType<typeof createOrderService>;

/** What other services get in an event: the order's identity, state and money, no addresses. */
function eventPayload(o: OrderRecord) {
  return {
    order_id: o.id,
    order_number: o.orderNumber,
    user_id: o.userId,
    status: o.status,
    payment_status: o.paymentStatus,
    currency: o.currency,
    total_amount: toOrderJson(o).total_amount,
    items: o.items.map((i) => ({ product_id: i.productId, quantity: i.quantity })),
    version: o.version,
  };
}

/** sha256 of the request body in canonical JSON (keys sorted), so key order does not matter. */
export function fingerprintOf(body: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

/** The session holding a checkout's locks is gone (pooler or server ended it): nothing was taken. */
function lostLocks(): DependencyUnavailable {
  return new DependencyUnavailable('postgres', 'The order database is unavailable right now; retry shortly', 1);
}

function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new Forbidden();
}

function pageOf(q: { page?: number; size?: number }) {
  const size = Math.min(Math.max(Math.trunc(q.size ?? 20), 1), MAX_PAGE_SIZE);
  const page = Math.max(Math.trunc(q.page ?? 1), 1);
  return { limit: size, offset: (page - 1) * size };
}
