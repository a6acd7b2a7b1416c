// What the HTTP layer calls: the order use cases (as JSON, cached when Redis is there), the admin
// search, export and statistics, and the webhook administration.
import { lookup } from 'node:dns/promises';
import type { Redis } from 'ioredis';
import { createResponseCache } from '../cache/order-cache.js';
import type { Config } from '../config.js';
import type { Database } from '../data/database.js';
import { withResponseCache } from '../http/cached-order-use-cases.js';
import type { ServiceMetrics } from '../http/metrics.js';
import { adaptOrderService } from '../http/order-use-cases.js';
import type { Log } from '../log.js';
import { createExportOrders } from '../orders/export-orders.js';
import { createSearchOrders } from '../orders/search-orders.js';
import { createStatsSeries } from '../orders/stats-series.js';
import { createTopProducts } from '../orders/top-products.js';
import { createManageWebhooks } from '../webhooks/manage-webhooks.js';
import type { Adapters } from './adapters.js';
import { crashAt } from './fault-points.js';
import { wireOrderService } from './order-service.js';
import type { Peers } from './peers.js';

export interface UseCaseDeps {
  config: Config;
  database: Database;
  adapters: Adapters;
  peers: Peers;
  redis: Redis | null;
  metrics: ServiceMetrics;
  log: Log;
  clock?: () => Date;
}

export function buildUseCases(deps: UseCaseDeps) {
  const { config, adapters, redis, metrics } = deps;
  const useCases = adaptOrderService(buildOrderService(deps), {
    searchOrders: createSearchOrders({ store: adapters.orderSearch }),
    exportOrders: createExportOrders({ store: adapters.orderSearch }),
  });
  return {
    orders: redis ? withResponseCache(useCases, createResponseCache(redis, { metrics, prefix: config.cachePrefix })) : useCases,
    stats: { series: createStatsSeries(adapters.persistence.stats), topProducts: createTopProducts(adapters.persistence.stats) },
    webhooks: createManageWebhooks({
      store: adapters.webhooks,
      policy: config.webhooks,
      secretOverlapHours: config.webhooks.secretOverlapHours,
      lookupAll: (host) => withTimeout(lookup(host, { all: true }).then((list) => list.map((a) => a.address)), 2000),
      log: deps.log,
    }),
  };
}

function buildOrderService({ config, adapters, peers, log, clock }: UseCaseDeps) {
  const afterStockUpdate = crashAt(config, 'after-stock-update');
  return wireOrderService({
    persistence: adapters.persistence,
    accountGate: peers.accountGate,
    catalog: peers.catalog,
    cart: peers.cart,
    clock: clock ?? (() => new Date()),
    pricing: config.pricing,
    log,
    stockManagement: config.stockManagement,
    deadlines: { statementTimeoutMs: config.dbQueryTimeoutMs, peerTimeoutMs: config.peerTimeoutMs },
    singleSession: config.dbSingleSession,
    ...(afterStockUpdate ? { faults: { afterStockUpdate } } : {}),
  });
}

/** A registration-time lookup that cannot hold the request up: a slow resolver counts as unresolved. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('lookup timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
