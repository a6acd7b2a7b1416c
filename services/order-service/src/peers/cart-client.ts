// The cart service as the Cart port (CONTRACTS.md §4). Cart prices are never used: only lines.

import { DependencyUnavailable, Unauthorized } from '../domain/errors.js';
import type { Cart, CartLine, PeerContext } from '../orders/ports.js';
import { createPeer, type PeerOptions } from './peer-http.js';

export function createCartClient(options: PeerOptions): Cart & { breakerState: string; shutdown(): void } {
  const peer = createPeer('cart-service', options);

  return {
    async getLines(userId: number, ctx: PeerContext): Promise<CartLine[]> {
      const res = await peer.request({ method: 'GET', path: `/cart/${userId}`, ctx, idempotent: true });
      // the token was already verified here; the cart refusing it means the two disagree about it
      if (res.status === 401 || res.status === 403) throw new Unauthorized('The cart service did not accept this token');
      if (res.status === 404) return [];
      if (res.status !== 200) throw new DependencyUnavailable('cart-service', 'The cart service sent an unexpected answer');
      let body: { items?: Array<{ productId?: number; quantity?: number }> };
      try {
        body = JSON.parse(res.text);
      } catch {
        throw new DependencyUnavailable('cart-service', 'The cart service sent an unreadable answer');
      }
      return (body.items ?? []).map((i) => ({ productId: Number(i.productId), quantity: Number(i.quantity) }));
    },

    async clear(ctx: PeerContext): Promise<void> {
      const res = await peer.request({ method: 'DELETE', path: '/cart', ctx });
      if (res.status === 200 || res.status === 404) return; // no cart is a cleared cart
      if (res.status === 401 || res.status === 403) throw new Unauthorized('The cart service did not accept this token');
      throw new DependencyUnavailable('cart-service', 'The cart service sent an unexpected answer');
    },

    get breakerState() {
      return peer.breakerState;
    },
    shutdown: peer.shutdown,
  };
}
