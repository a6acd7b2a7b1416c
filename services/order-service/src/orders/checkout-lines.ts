// What a checkout asks for, turned into merged order lines and, once its products are read, a
// priced order; the same for a checkout with or without stock.

import { Unprocessable, ValidationFailed } from '../domain/errors.js';
import { computeTotals, lineTotal, type Pricing } from '../domain/totals.js';
import type { NewOrder } from './checkout-writes.js';
import type { Actor, CartLine, CatalogProduct } from './ports.js';
import type { Address } from '../domain/records.js';

export interface CreateOrderInput {
  items?: Array<{ product_id: number; quantity: number }>;
  shipping_address?: Address | null;
  billing_address?: Address | null;
  customer_email?: string;
  customer_phone?: string | null;
  notes?: string | null;
}

const MAX_QUANTITY = 1000;

/** One line per product (repeats summed), each a positive quantity of at most MAX_QUANTITY. */
export function mergeLines(lines: readonly CartLine[] | ReadonlyArray<{ product_id: number; quantity: number }>): CartLine[] {
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

/** The order these lines make at these products' prices, in one currency (422 for mixed ones). */
export function priceOrder(
  actor: Actor,
  input: CreateOrderInput & { shipping_address: Address },
  lines: CartLine[],
  products: Map<number, CatalogProduct>,
  pricing: Pricing,
): NewOrder {
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
  const totals = computeTotals(priced, pricing);
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
    shipping: input.shipping_address,
    billing: input.billing_address ?? null,
    notes: input.notes ?? null,
    items: priced,
  };
}
