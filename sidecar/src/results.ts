// Builds the snapshot the service's /health/* endpoints read (its shape and staleness rule are
// @orders/health-snapshot's): per dependency its latest probe, the critical dependency's verdict.

import { isStale, type DependencyResult, type Snapshot } from '@orders/health-snapshot';
import type { DependencyState } from './scheduler.js';

export type { DependencyResult, Snapshot } from '@orders/health-snapshot';

export function buildSnapshot(states: Iterable<DependencyState>, version: number, now = new Date()): Snapshot {
  const dependencies: Record<string, DependencyResult> = {};
  let ready = true;
  for (const s of states) {
    const c = s.config;
    const stale = c.target !== null && isStale(s.lastProbeAt?.getTime() ?? null, c.intervalMs, now.getTime());
    dependencies[c.name] = resultOf(s, stale);
    if (c.critical && (s.healthy !== true || stale)) ready = false;
  }
  return { generated_at: now.toISOString(), version, ready, dependencies };
}

function resultOf(s: DependencyState, stale: boolean): DependencyResult {
  const c = s.config;
  return {
    status: c.target === null ? 'not_configured' : (s.outcome?.status ?? 'unknown'),
    kind: c.kind,
    critical: c.critical,
    platform: c.platform,
    provider: c.provider,
    response_time_ms: s.outcome?.responseTimeMs == null ? null : Math.round(s.outcome.responseTimeMs * 10) / 10,
    reason: s.outcome?.reason ?? null,
    last_probe_at: s.lastProbeAt?.toISOString() ?? null,
    last_success_at: s.lastSuccessAt?.toISOString() ?? null,
    consecutive_failures: s.consecutiveFailures,
    interval_ms: c.intervalMs,
    stale,
    ...(s.outcome?.details ? { details: s.outcome.details } : {}),
  };
}
