// GET /admin/orders/stats/products: the best-selling products over UTC days, from the product
// roll-up (data/product-stats.ts). Sales count orders not cancelled or refunded.

import { Forbidden, ValidationFailed } from '../domain/errors.js';
import { dateOfDay } from '../domain/local-calendar.js';
import { toMajorNumber } from '../domain/money.js';
import type { Actor, StatsStore } from './ports.js';
import { localDates } from './stats-series.js';

export const MAX_PRODUCTS = 100;

export function createTopProducts(stats: StatsStore) {
  return async function bestProducts(actor: Actor, query: { from: string; to: string; limit?: number }) {
    if (actor.role !== 'admin') throw new Forbidden();
    const limit = query.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PRODUCTS) {
      const message = `must be an integer from 1 to ${MAX_PRODUCTS}`;
      throw new ValidationFailed(`Invalid request: limit ${message}`, [{ field: 'limit', message }]);
    }
    const { first, last } = localDates(query);
    const products = await stats.topProducts({ firstDay: dateOfDay(first), endDay: dateOfDay(last + 1), limit });
    return {
      from: query.from,
      to: query.to,
      limit,
      currency: 'USD',
      products: products.map((p) => ({
        product_id: p.productId,
        product_name: p.productName,
        units: p.units,
        revenue: toMajorNumber(p.revenueMinor),
        orders: p.orders,
      })),
    };
  };
}

export type TopProducts = ReturnType<typeof createTopProducts>;
