// The product service as the Catalog port (CONTRACTS.md §4): prices converted exactly to cents.

import { DependencyUnavailable, Unprocessable, ValidationFailed } from '../domain/errors.js';
import { toMinorUnits } from '../domain/money.js';
import type { Catalog, CatalogProduct, PeerContext } from '../orders/ports.js';
import { createPeer, type PeerOptions, type PeerResponse } from './peer-http.js';

interface ProductBody {
  success?: boolean;
  data?: {
    _id?: number | string;
    sku?: string;
    title?: string;
    price?: number | string;
    currency?: string;
    image?: string | null;
    stock?: number | null;
    isActive?: boolean;
  };
  error?: string;
}

export function createProductClient(options: PeerOptions): Catalog & { breakerState: string; shutdown(): void } {
  const peer = createPeer('product-service', options);

  function parse(res: PeerResponse): ProductBody {
    try {
      return JSON.parse(res.text) as ProductBody;
    } catch {
      throw new DependencyUnavailable('product-service', 'The product service sent an unreadable answer');
    }
  }

  return {
    async getProduct(id: number, ctx: PeerContext): Promise<CatalogProduct | null> {
      const res = await peer.request({ method: 'GET', path: `/products/${id}`, ctx, idempotent: true });
      if (res.status === 404) return null;
      const body = parse(res);
      const d = body.data;
      if (res.status !== 200 || !body.success || !d || d.price === undefined || d.price === null) {
        throw new DependencyUnavailable('product-service', 'The product service sent an unexpected answer');
      }
      return {
        id: Number(d._id ?? id),
        sku: d.sku ?? `SKU-${id}`,
        title: d.title ?? `Product ${id}`,
        priceMinor: toMinorUnits(d.price),
        currency: (d.currency ?? 'USD').toUpperCase(),
        image: d.image ?? null,
        stock: typeof d.stock === 'number' ? d.stock : null,
        isActive: d.isActive !== false,
      };
    },

    async setStock(id: number, stock: number, ctx: PeerContext): Promise<void> {
      const res = await peer.request({ method: 'PATCH', path: `/products/${id}/stock`, ctx, body: { stock } });
      if (res.status === 200) return;
      if (res.status === 404) throw new Unprocessable('product-unavailable', `Product ${id} is not available`, { product_id: id });
      if (res.status === 400) throw new ValidationFailed(`The product service refused stock ${stock} for product ${id}`);
      throw new DependencyUnavailable('product-service', 'The product service sent an unexpected answer');
    },

    get breakerState() {
      return peer.breakerState;
    },
    shutdown: peer.shutdown,
  };
}
