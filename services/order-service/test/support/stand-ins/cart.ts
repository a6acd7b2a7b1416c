// Stand-in of the cart service (Java, CONTRACTS.md §4): GET /cart/{userId}, DELETE /cart (and /cart/), GET /health.
// Verifies the caller's HS256 token like the real one: 401 on a bad token, 403 for another user's
// cart; error bodies are empty.

import jwt from 'jsonwebtoken';
import type { IncomingMessage } from 'node:http';
import { startStandIn, type HealthSwitch, type StandIn } from './server.js';

export interface CartItem {
  productId: number;
  sku: string;
  title: string;
  quantity: number;
  price: number;
  currency: string;
}

export interface CartStandIn extends StandIn, HealthSwitch {
  setCart(userId: number, items: CartItem[]): void;
  cartOf(userId: number): CartItem[] | undefined;
}

export async function startCartStandIn(opts: { secretKey: string; port?: number }): Promise<CartStandIn> {
  const carts = new Map<number, CartItem[]>();
  let health = 'UP';

  function userOf(req: IncomingMessage): number | null {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return null;
    try {
      const claims = jwt.verify(m[1]!, opts.secretKey, { algorithms: ['HS256'] }) as { sub?: string };
      const id = Number(claims.sub);
      return Number.isSafeInteger(id) ? id : null;
    } catch {
      return null;
    }
  }

  const server = await startStandIn(
    (req, _body, url) => {
      if (req.method === 'GET' && url.pathname === '/health') {
        return { status: 200, json: { status: health, components: { db: { status: health } } } };
      }
      const user = userOf(req);
      const get = /^\/cart\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && get) {
        if (user === null) return { status: 401 };
        if (user !== Number(get[1])) return { status: 403 };
        const items = carts.get(user) ?? [];
        const totalCents = items.reduce((s, i) => s + Math.round(i.price * 100) * i.quantity, 0);
        return { status: 200, json: { userId: user, items, total: totalCents / 100, currency: 'USD' } };
      }
      if (req.method === 'DELETE' && (url.pathname === '/cart' || url.pathname === '/cart/')) {
        if (user === null) return { status: 401 };
        if (!carts.has(user)) return { status: 404, text: 'Cart not found' };
        carts.delete(user);
        return { status: 200, text: 'Cart cleared successfully' };
      }
      return { status: 404 };
    },
    { port: opts.port, errorReply: { status: 500 } },
  );
  return Object.assign(server, {
    setCart: (userId: number, items: CartItem[]) => carts.set(userId, items),
    cartOf: (userId: number) => carts.get(userId),
    setHealth: (status: string) => void (health = status),
  });
}
