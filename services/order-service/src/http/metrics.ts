// The service's Prometheus metrics (one registry per app, so tests and replicas never share counters).
// The route label is the OpenAPI path template, never the raw URL, so ids cannot explode cardinality.
import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  ordersCreated: Counter<string>;
  statusTransitions: Counter<'from' | 'to'>;
  /** for the cache (later issue): cache = order|stats|…, result = hit|miss|error */
  cacheRequests: Counter<'cache' | 'result'>;
}

export function createServiceMetrics(options: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // gauges named *_total, which promtool's lint rejects; the handle counts are in process_* anyway
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
  }
  return {
    registry,
    httpRequests: new Counter({
      name: 'orders_http_requests_total',
      help: 'HTTP requests answered, by method, OpenAPI route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'orders_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, OpenAPI route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ordersCreated: new Counter({
      name: 'orders_created_total',
      help: 'Orders created (idempotent replays not counted)',
      registers: [registry],
    }),
    statusTransitions: new Counter({
      name: 'orders_status_transitions_total',
      help: 'Order status changes, by previous and new status',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'orders_cache_requests_total',
      help: 'Cache lookups, by cache and result (hit, miss, error)',
      labelNames: ['cache', 'result'] as const,
      registers: [registry],
    }),
  };
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Counts and times every request once it is answered. */
export function measureRequests(metrics: ServiceMetrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const labels = {
        method: KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
        route: req.routeTemplate ?? 'unmatched',
        status: String(res.statusCode),
      };
      metrics.httpRequests.inc(labels);
      stop(labels);
    });
    next();
  };
}
