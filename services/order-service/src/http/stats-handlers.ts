// The trend and best-product operations (admin): validated query in, the use case's records out as JSON.
// Not cached, unlike /admin/orders/stats: they read only roll-ups, and a cache would need invalidating on every order.
import type { Context } from 'openapi-backend';
import type { Interval } from '../domain/local-calendar.js';
import type { StatsSeries } from '../orders/stats-series.js';
import type { TopProducts } from '../orders/top-products.js';
import { actorOf, type OperationHandlers } from './api.js';
import { toSeriesJson, toTopProductsJson } from './stats-views.js';

export interface StatsUseCases {
  series: StatsSeries;
  topProducts: TopProducts;
}

/** Without use cases (apps built for tests of other parts) the operations exist and fail as 500s. */
export function createStatsHandlers(deps: { stats?: StatsUseCases }): OperationHandlers {
  const stats = () => {
    if (!deps.stats) throw new Error('statistics use cases not configured');
    return deps.stats;
  };
  const queryOf = (c: Context) => c.request.query as Record<string, string | undefined>;
  return {
    adminOrderStatsSeries: async (c, req, res) => {
      const q = queryOf(c);
      res.json(toSeriesJson(await stats().series(actorOf(req), { from: q.from!, to: q.to!, interval: q.interval as Interval | undefined, tz: q.tz })));
    },
    adminTopProducts: async (c, req, res) => {
      const q = queryOf(c);
      res.json(toTopProductsJson(await stats().topProducts(actorOf(req), { from: q.from!, to: q.to!, limit: q.limit === undefined ? undefined : Number(q.limit) })));
    },
  };
}
