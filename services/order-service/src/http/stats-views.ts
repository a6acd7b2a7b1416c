// The JSON of the trend and best-product statistics: the same figures as /admin/orders/stats, as JSON numbers.
import { toMajorNumber } from '../domain/money.js';
import { REVENUE_STATUSES, type OrderStatus } from '../domain/order-lifecycle.js';
import type { SeriesPoint, SeriesRecord } from '../orders/stats-series.js';
import type { TopProductsRecord } from '../orders/top-products.js';

/** The same figures as /admin/orders/stats, per point: counts per status, revenue and its average as JSON numbers. */
export function toSeriesJson(s: SeriesRecord) {
  // a point's to is the next one's from: each bound formatted once (toISOString is a microsecond)
  let last = { at: NaN, iso: '' };
  const iso = (d: Date) => (d.getTime() === last.at ? last.iso : (last = { at: d.getTime(), iso: d.toISOString() }).iso);
  return { interval: s.interval, tz: s.tz, from: s.from, to: s.to, currency: 'USD', points: s.points.map((p) => pointJson(p, iso(p.from), iso(p.to))) };
}

// one literal with the keys in a fixed order: built key by key (fromEntries, spread) it cost ten times as much
function pointJson(p: SeriesPoint, from: string, to: string) {
  const c = p.counts;
  const n = (st: OrderStatus) => c.get(st)?.orders ?? 0;
  let revenueOrders = 0;
  let revenueMinor = 0;
  for (const st of REVENUE_STATUSES) {
    const x = c.get(st);
    if (x) [revenueOrders, revenueMinor] = [revenueOrders + x.orders, revenueMinor + x.cents];
  }
  let total = 0;
  for (const x of c.values()) total += x.orders;
  return {
    start: p.start,
    from,
    to,
    total_orders: total,
    pending_orders: n('pending'),
    confirmed_orders: n('confirmed'),
    processing_orders: n('processing'),
    shipped_orders: n('shipped'),
    delivered_orders: n('delivered'),
    cancelled_orders: n('cancelled'),
    refunded_orders: n('refunded'),
    revenue: toMajorNumber(revenueMinor),
    // half away from zero on integers, as the statistics do
    average_order_value: toMajorNumber(revenueOrders === 0 ? 0 : Math.floor((revenueMinor * 2 + revenueOrders) / (2 * revenueOrders))),
  } satisfies Record<'total_orders' | `${OrderStatus}_orders`, number> & Record<string, unknown>;
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
