// The roll-ups behind the trend and best-product statistics, as the use cases' StatsStore port.

import type { StatsStore } from '../orders/ports.js';
import type { Database } from './database.js';
import { topProducts } from './product-stats.js';
import { statsForPeriods } from './series-periods.js';

export function createStatsStore(db: Database): StatsStore {
  return {
    periods: (bounds) => statsForPeriods(db, bounds),
    topProducts: (range) => topProducts(db, range),
  };
}
