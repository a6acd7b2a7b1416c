// GET /admin/orders/stats/products: the best-selling products over UTC days, from the product
// roll-up (data/product-stats.ts). Sales count orders not cancelled or refunded.

import { Forbidden, ValidationFailed } from '../domain/errors.js';
import { dateOfDay } from '../domain/local-calendar.js';
import type { Actor, ProductSales, StatsStore } from './ports.js';
import { localDates } from './stats-series.js';

export const MAX_PRODUCTS = 100;

/** The best sellers of a range as the use case finds them; http/stats-views.ts makes their JSON. */
export interface TopProductsRecord {
  from: string;
  to: string;
  limit: number;
  products: ProductSales[];
}

export function createTopProducts(stats: StatsStore) {
  return async function bestProducts(actor: Actor, query: { from: string; to: string; limit?: number }): Promise<TopProductsRecord> {
    if (actor.role !== 'admin') throw new Forbidden();
    const limit = query.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PRODUCTS) {
      const message = `must be an integer from 1 to ${MAX_PRODUCTS}`;
      throw new ValidationFailed(`Invalid request: limit ${message}`, [{ field: 'limit', message }]);
    }
    const { first, last } = localDates(query);
    return { from: query.from, to: query.to, limit, products: await stats.topProducts({ firstDay: dateOfDay(first), endDay: dateOfDay(last + 1), limit }) };
  };
}

export type TopProducts = ReturnType<typeof createTopProducts>;
