// The /health/connectivity report: the seed's keys and summary, serialised once per view and
// details level around its timestamp, so a probe adds only the time.

import type { DependencyResult } from '@orders/health-snapshot';
import type { Response } from 'express';
import type { HealthView } from './reader.js';

/** The seed's keys of the connectivity object (the sidecar names them user-service, …). */
const SEED_KEY: Record<string, string> = {
  postgres: 'postgres',
  redis: 'redis',
  'user-service': 'user_service',
  'cart-service': 'cart_service',
  'product-service': 'product_service',
  'search-service': 'search_service',
};

/** One dependency as /health/* shows it: the schedule's counters left out, the probe's facts only with details. */
export function entryOf(d: DependencyResult, details: boolean) {
  const { details: facts, interval_ms: _interval, consecutive_failures: _failures, ...rest } = d;
  return details && facts ? { ...rest, details: facts } : rest;
}

// adds up by construction: whatever is neither connected nor a warning (timeout, unknown) is failed
function summary(view: HealthView) {
  const all = Object.values(view.dependencies);
  const list = all.filter((d) => d.status !== 'not_configured');
  const connected = list.filter((d) => d.status === 'connected').length;
  const warnings = list.filter((d) => d.status === 'warning').length;
  return {
    total_services: list.length,
    connected,
    failed: list.length - connected - warnings,
    warnings,
    not_configured: all.length - list.length,
  };
}

type Body = [head: string, tail: string, bytes: number];

function serialise(view: HealthView, details: boolean, serviceName: string): Body {
  const s = summary(view);
  const troubled = s.failed + s.warnings > 0;
  const head = JSON.stringify({ status: !view.criticalOk ? 'unhealthy' : troubled ? 'degraded' : 'healthy', service: serviceName });
  const tail = JSON.stringify({
    connectivity: Object.fromEntries(Object.entries(view.dependencies).map(([k, d]) => [SEED_KEY[k] ?? k, entryOf(d, details)])),
    summary: s,
    live_system_status: !view.criticalOk ? 'down' : troubled ? 'degraded' : 'operational',
    source: { sidecar: view.reachable ? 'ok' : 'unreachable', generated_at: view.generatedAt },
  });
  const [before, after] = [`${head.slice(0, -1)},"timestamp":`, `,${tail.slice(1)}`];
  return [before, after, Buffer.byteLength(before) + Buffer.byteLength(after)];
}

/** Sends the report of a view; the reader shares a view between probes for up to 250 ms. */
export function createConnectivityReport(serviceName: string) {
  const bodies = new WeakMap<HealthView, Map<boolean, Body>>();
  function bodyOf(view: HealthView, details: boolean): Body {
    let forView = bodies.get(view);
    if (!forView) bodies.set(view, (forView = new Map()));
    let body = forView.get(details);
    if (!body) forView.set(details, (body = serialise(view, details, serviceName)));
    return body;
  }
  return (view: HealthView, details: boolean, res: Response): void => {
    const [head, tail, bytes] = bodyOf(view, details);
    const timestamp = JSON.stringify(new Date().toISOString()); // ASCII: one byte a character
    res.statusCode = view.criticalOk ? 200 : 503;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', bytes + timestamp.length);
    res.end(`${head}${timestamp}${tail}`); // (Node leaves the body out for HEAD)
  };
}
