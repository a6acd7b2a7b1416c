// How an order is placed (POST /orders), top to bottom: the idempotency key, the request's checks,
// the account, the lines (from the body or the cart), and then one of two ways to commit: with
// stock under the products' locks (stock-section.ts) or without, in a shared transaction (group-commit.ts).

import { createHash } from 'node:crypto';
import { Conflict, Unprocessable, ValidationFailed } from '../domain/errors.js';
import { mergeLines, priceOrder, type CreateOrderInput } from './checkout-lines.js';
import type { CheckoutContext } from './checkout-writes.js';
import { createGroupCommit } from './group-commit.js';
import type { OrderCore } from './order-core.js';
import { KeyTakenOver, type Actor, type KeyClaim, type PeerContext } from './ports.js';
import { fetchProducts } from './product-availability.js';
import type { OrderRecord } from '../domain/records.js';
import { createStockSection } from './stock-section.js';

export type PlaceOrderContext = PeerContext & { idempotencyKey?: string };

/** The checkout's response as deps.respond made it, or as it was recorded for a replay. */
export interface PlacedOrder {
  order: unknown;
  replayed: boolean;
}

export function createPlaceOrder(core: OrderCore) {
  const { idempotency, deps } = core;
  const respond = deps.respond;
  const commitWithoutStock = createGroupCommit(core);
  const commitWithStock = createStockSection(core);

  /**
   * POST /orders: with an Idempotency-Key the first response is recorded with the order and
   * replayed for a retry; a different body under the key is 422, a concurrent duplicate 409.
   */
  async function placeOrder(actor: Actor, input: CreateOrderInput, ctx: PlaceOrderContext = {}): Promise<PlacedOrder> {
    const { idempotencyKey: key, ...peer } = ctx;
    if (key === undefined) return { order: respond(await createOrder(actor, input, peer)), replayed: false };
    const fingerprint = fingerprintOf(input);
    const begun = await idempotency.begin(actor.userId, key, fingerprint);
    if (begun.kind === 'replay') return { order: begun.body, replayed: true };
    const claim: KeyClaim = { userId: actor.userId, key, token: begun.token };
    try {
      return { order: respond(await createOrder(actor, input, { ...peer, claim })), replayed: false };
    } catch (err) {
      if (err instanceof KeyTakenOver) {
        // fenced off: nothing of ours committed; answer with what the key says now
        const now = await idempotency.outcome(actor.userId, key, fingerprint);
        if (now?.kind === 'replay') return { order: now.body, replayed: true };
        throw new Conflict('A request with this Idempotency-Key is still being processed; retry shortly', { idempotency_key: key });
      }
      await idempotency.release(claim).catch(() => undefined);
      throw err;
    }
  }

  async function createOrder(actor: Actor, input: CreateOrderInput, ctx: CheckoutContext = {}): Promise<OrderRecord> {
    const { shipping_address } = input;
    if (!shipping_address) {
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
    const build = (products: Parameters<typeof priceOrder>[3]) =>
      priceOrder(actor, { ...input, shipping_address }, lines, products, deps.pricing);

    if (!deps.stockManagement) {
      const order = build(await fetchProducts(deps.catalog, lines, ctx));
      return commitWithoutStock({ actor, order, ctx, fromCart });
    }
    return commitWithStock({ actor, lines, build, ctx, fromCart });
  }

  return { placeOrder, createOrder };
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
