// The sidecar's Prometheus metrics (prom-client, one registry). Labels carry dependency names and
// bounded enums only: never URLs, hosts or error text.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createSidecarMetrics(version: string) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // gauges named *_total, which promtool's lint rejects; the handle counts are in process_* anyway
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const up = new Gauge({
    name: 'orders_dependency_up',
    help: 'Whether the dependency answered its last interval probe (1) or not (0); from the last interval probe, not live',
    labelNames: ['dependency', 'kind'],
    registers: [registry],
  });
  const probes = new Counter({
    name: 'orders_dependency_probes_total',
    help: 'Interval probes by result (connected, warning, failed, timeout)',
    labelNames: ['dependency', 'result'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'orders_dependency_probe_failures_total',
    help: 'Failed interval probes by bounded reason (dns, connect, tls, timeout, http_status, protocol, auth)',
    labelNames: ['dependency', 'reason'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'orders_dependency_probe_duration_seconds',
    help: 'Duration of interval probes, from the last interval probes',
    labelNames: ['dependency'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20],
    registers: [registry],
  });
  const lastProbe = new Gauge({
    name: 'orders_dependency_last_probe_timestamp_seconds',
    help: 'Unix time of the last interval probe of the dependency',
    labelNames: ['dependency'],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'orders_dependency_last_success_timestamp_seconds',
    help: 'Unix time of the last successful interval probe of the dependency',
    labelNames: ['dependency'],
    registers: [registry],
  });
  const patches = new Counter({
    name: 'orders_health_sidecar_condition_patches_total',
    help: 'Readiness-gate condition patches sent to the Kubernetes API, by result (ok, error, not_found, forbidden)',
    labelNames: ['result'],
    registers: [registry],
  });
  new Gauge({
    name: 'orders_health_sidecar_build_info',
    help: 'Build information of the health sidecar (always 1)',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version }, 1);
  return { registry, up, probes, failures, duration, lastProbe, lastSuccess, patches };
}

export type SidecarMetrics = ReturnType<typeof createSidecarMetrics>;
