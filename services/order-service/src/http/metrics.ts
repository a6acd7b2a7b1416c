// The service's Prometheus metrics (one registry per app, so tests and replicas never share counters).
// The route label is the OpenAPI path template, never the raw URL, so ids cannot explode cardinality.
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  ordersCreated: Counter<string>;
  statusTransitions: Counter<'from' | 'to'>;
  /** cache = order|stats|…, result = hit|miss|error */
  cacheRequests: Counter<'cache' | 'result'>;
  /** refused checkouts by reason (one of CHECKOUT_REFUSAL_REASONS) */
  checkoutRefusals: Counter<'reason'>;
  /** the outbox as the relay last saw it; deliveries by step (publish, clear_cart) and result (ok, error) */
  outboxPending: Gauge<string>;
  outboxOldestPendingAge: Gauge<string>;
  outboxDeliveries: Counter<'step' | 'result'>;
  webhookDeliveries: Counter<'result'>;
  /** rows deleted by the retention purge, by table */
  retentionPurged: Counter<'table'>;
  /** the account check before a checkout: result = active|refused|unauthenticated|unavailable, source = user_service|cache */
  accountChecks: Counter<'result' | 'source'>;
  /** checkouts the user service could not vouch for, by what ACCOUNT_CHECK_WHEN_UNAVAILABLE made of them */
  accountCheckUnavailable: Counter<'decision'>;
}

/** The bounded reasons of orders_checkout_refusals_total. */
export const CHECKOUT_REFUSAL_REASONS = ['stock', 'product_unavailable', 'empty_cart', 'peer_unavailable', 'dependency_unavailable', 'blocked', 'invalid', 'other'] as const;
export type CheckoutRefusalReason = (typeof CHECKOUT_REFUSAL_REASONS)[number];

export function createServiceMetrics(options: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // gauges named *_total, which promtool's lint rejects; the handle counts are in process_* anyway
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
  }
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  return {
    registry,
    httpRequests: counter('orders_http_requests_total', 'HTTP requests answered, by method, OpenAPI route template and status code', ['method', 'route', 'status']),
    httpDuration: new Histogram({
      name: 'orders_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, OpenAPI route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ordersCreated: counter('orders_created_total', 'Orders created (idempotent replays not counted)', []),
    statusTransitions: counter('orders_status_transitions_total', 'Order status changes, by previous and new status', ['from', 'to']),
    cacheRequests: counter('orders_cache_requests_total', 'Cache lookups, by cache and result (hit, miss, error)', ['cache', 'result']),
    checkoutRefusals: counter(
      'orders_checkout_refusals_total',
      'Checkouts refused, by reason (stock, product_unavailable, empty_cart, peer_unavailable, dependency_unavailable, blocked, invalid, other)',
      ['reason'],
    ),
    outboxPending: gauge('orders_outbox_events_pending', "Outbox events not yet delivered (not published or cart not cleared), as of the relay's last look"),
    outboxOldestPendingAge: gauge('orders_outbox_oldest_pending_age_seconds', "Age of the oldest undelivered outbox event (0 when none), as of the relay's last look"),
    outboxDeliveries: counter('orders_outbox_deliveries_total', 'Outbox delivery attempts, by step (publish, clear_cart) and result (ok, error)', ['step', 'result']),
    webhookDeliveries: counter(
      'orders_webhook_deliveries_total',
      'Webhook delivery attempts, by result (delivered, retry: failed and tried again, failed: the last attempt failed)',
      ['result'],
    ),
    retentionPurged: counter(
      'orders_retention_rows_purged_total',
      'Rows deleted by the retention purge, by table (outbox_events, stock_reservations, idempotency_keys, webhook_deliveries)',
      ['table'],
    ),
    accountChecks: counter(
      'orders_account_checks_total',
      'Account checks before a checkout, by result (active, refused, unauthenticated, unavailable) and source (user_service, cache)',
      ['result', 'source'],
    ),
    accountCheckUnavailable: counter(
      'orders_account_check_unavailable_total',
      'Checkouts whose account the user service could not check (down, slow, odd answer), by decision (allowed, refused)',
      ['decision'],
    ),
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
