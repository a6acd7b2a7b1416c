// Stand-in of the product service (Express, CONTRACTS.md §4): GET /products/{id},
// PATCH /products/{id}/stock (absolute), GET /health. No auth. Express routing: a trailing slash is the same path.

import { startStandIn, type HealthSwitch, type StandIn } from './server.js';

export interface StandInProduct {
  _id: number;
  sku: string;
  title: string;
  price: number;
  currency: string;
  image: string;
  stock: number;
  isActive: boolean;
  category?: string;
}

/** A small catalogue; 0.29 and 19.99 trip float arithmetic, 6 is inactive, 5 has one left. */
export const DEFAULT_CATALOGUE: StandInProduct[] = [
  { _id: 1, sku: 'SKU-1', title: 'Espresso beans 1 kg', price: 24.5, currency: 'USD', image: '/img/1.jpg', stock: 100, isActive: true },
  { _id: 2, sku: 'SKU-2', title: 'Ceramic mug', price: 12.99, currency: 'USD', image: '/img/2.jpg', stock: 40, isActive: true },
  { _id: 3, sku: 'SKU-3', title: 'Paper filters (100)', price: 0.29, currency: 'USD', image: '/img/3.jpg', stock: 500, isActive: true },
  { _id: 4, sku: 'SKU-4', title: 'Hand grinder', price: 89.0, currency: 'USD', image: '/img/4.jpg', stock: 12, isActive: true },
  { _id: 5, sku: 'SKU-5', title: 'Limited edition kettle', price: 149.99, currency: 'USD', image: '/img/5.jpg', stock: 1, isActive: true },
  { _id: 6, sku: 'SKU-6', title: 'Discontinued press', price: 35.0, currency: 'USD', image: '/img/6.jpg', stock: 3, isActive: false },
  { _id: 7, sku: 'SKU-7', title: 'Travel tumbler', price: 19.99, currency: 'USD', image: '/img/7.jpg', stock: 12, isActive: true },
  { _id: 8, sku: 'SKU-8', title: 'Barista apron', price: 0.1, currency: 'USD', image: '/img/8.jpg', stock: 30, isActive: true },
];

export interface ProductStandIn extends StandIn, HealthSwitch {
  products: Map<number, StandInProduct>;
  stockOf(id: number): number | undefined;
  setStock(id: number, stock: number): void;
}

export async function startProductStandIn(opts: { port?: number; catalogue?: StandInProduct[] } = {}): Promise<ProductStandIn> {
  const products = new Map((opts.catalogue ?? DEFAULT_CATALOGUE).map((p) => [p._id, { ...p }]));
  let health = 'healthy';
  const server = await startStandIn(
    (req, body, url) => {
      if (req.method === 'GET' && /^\/health\/?$/.test(url.pathname)) {
        return { status: 200, json: { status: health, service: 'product-service', timestamp: new Date().toISOString() } };
      }
      const m = /^\/products\/([^/]+)(\/stock)?\/?$/.exec(url.pathname);
      if (!m) return { status: 404, json: { success: false, error: 'Route not found' } };
      const id = Number(m[1]);
      const p = Number.isInteger(id) ? products.get(id) : undefined;
      if (req.method === 'GET' && !m[2]) {
        if (!p || !p.isActive) return { status: 404, json: { success: false, error: 'Product not found' } };
        return { status: 200, json: { success: true, data: { ...p, createdAt: '2026-01-01T00:00:00.000Z' } } };
      }
      if (req.method === 'PATCH' && m[2]) {
        let stock: unknown;
        try {
          stock = (JSON.parse(body || '{}') as { stock?: unknown }).stock;
        } catch {
          return { status: 400, json: { success: false, error: 'Invalid JSON' } };
        }
        if (typeof stock !== 'number' || !Number.isInteger(stock) || stock < 0) {
          return { status: 400, json: { success: false, error: 'Stock must be a non-negative integer' } };
        }
        if (!p) return { status: 404, json: { success: false, error: 'Product not found' } };
        p.stock = stock;
        return { status: 200, json: { success: true, message: 'Stock updated successfully', data: p } };
      }
      return { status: 404, json: { success: false, error: 'Route not found' } };
    },
    { port: opts.port, errorReply: { status: 500, json: { success: false, error: 'Internal server error' } } },
  );
  return Object.assign(server, {
    products,
    stockOf: (id: number) => products.get(id)?.stock,
    setHealth: (status: string) => void (health = status),
    setStock: (id: number, stock: number) => {
      const p = products.get(id);
      if (p) p.stock = stock;
    },
  });
}
