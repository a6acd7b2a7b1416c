// Fresh product reads for a checkout and the refusal of a line that cannot be had.

import { Conflict, Unprocessable } from '../domain/errors.js';
import type { CartLine, Catalog, CatalogProduct, PeerContext } from './ports.js';

export const PRODUCT_FETCH_CONCURRENCY = 8;

/** Fresh product reads, at most PRODUCT_FETCH_CONCURRENCY at once; null for a product that is not there. */
export async function readProducts(catalog: Catalog, ids: number[], ctx: PeerContext): Promise<Map<number, CatalogProduct | null>> {
  const found = new Map<number, CatalogProduct | null>();
  for (let i = 0; i < ids.length; i += PRODUCT_FETCH_CONCURRENCY) {
    const batch = ids.slice(i, i + PRODUCT_FETCH_CONCURRENCY);
    const products = await Promise.all(batch.map((id) => catalog.getProduct(id, ctx)));
    batch.forEach((id, k) => found.set(id, products[k] ?? null));
  }
  return found;
}

/** Throws the refusal of the first line that cannot be had: unavailable (422) or short of stock (409). */
export function checkAvailable(lines: CartLine[], products: Map<number, CatalogProduct | null>, left: Map<number, number | null>): void {
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

/** The products of lines that need no stock taken, every one of them available. */
export async function fetchProducts(catalog: Catalog, lines: CartLine[], ctx: PeerContext): Promise<Map<number, CatalogProduct>> {
  const products = await readProducts(catalog, lines.map((l) => l.productId), ctx);
  checkAvailable(lines, products, new Map());
  return products as Map<number, CatalogProduct>;
}
