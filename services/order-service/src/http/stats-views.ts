// The JSON of the trend and best-product statistics: the same figures as /admin/orders/stats, as JSON numbers.
import { toMajorNumber } from '../domain/money.js';
import { ORDER_STATUSES, REVENUE_STATUSES } from '../domain/order-lifecycle.js';
import type { SeriesRecord } from '../orders/stats-series.js';
import type { TopProductsRecord } from '../orders/top-products.js';

/** The same figures as /admin/orders/stats, per point: counts per status, revenue and its average as JSON numbers. */
export function toSeriesJson(s: SeriesRecord) {
  return {
    interval: s.interval,
    tz: s.tz,
    from: s.from,
    to: s.to,
    currency: 'USD',
    points: s.points.map((p) => {
      const n = (st: (typeof ORDER_STATUSES)[number]) => p.counts.get(st)?.orders ?? 0;
      const revenueOrders = REVENUE_STATUSES.reduce((x, st) => x + n(st), 0);
      const revenueMinor = REVENUE_STATUSES.reduce((x, st) => x + (p.counts.get(st)?.cents ?? 0), 0);
      return {
        start: p.start,
        from: p.from.toISOString(),
        to: p.to.toISOString(),
        total_orders: ORDER_STATUSES.reduce((x, st) => x + n(st), 0),
        ...Object.fromEntries(ORDER_STATUSES.map((st) => [`${st}_orders`, n(st)])),
        revenue: toMajorNumber(revenueMinor),
        // half away from zero on integers, as the statistics do
        average_order_value: toMajorNumber(revenueOrders === 0 ? 0 : Math.floor((revenueMinor * 2 + revenueOrders) / (2 * revenueOrders))),
      };
    }),
  };
}

export function toTopProductsJson(t: TopProductsRecord) {
  return {
    from: t.from,
    to: t.to,
    limit: t.limit,
    currency: 'USD',
    products: t.products.map((p) => ({
      product_id: p.productId,
      product_name: p.productName,
      units: p.units,
      revenue: toMajorNumber(p.revenueMinor),
      orders: p.orders,
    })),
  };
}
