// The snapshot the service's /health/* endpoints read: per dependency its latest probe, the
// critical dependency's verdict, staleness. Versioned, so readers can ask with If-None-Match.

import type { DependencyState } from './scheduler.js';

export interface DependencyResult {
  status: string;
  kind: string;
  critical: boolean;
  platform: string;
  provider: string;
  response_time_ms: number | null;
  reason: string | null;
  last_probe_at: string | null;
  last_success_at: string | null;
  consecutive_failures: number;
  interval_ms: number;
  stale: boolean;
  details?: Record<string, string | number>;
}

export interface Snapshot {
  generated_at: string;
  version: number;
  ready: boolean;
  dependencies: Record<string, DependencyResult>;
}

export function buildSnapshot(states: Iterable<DependencyState>, version: number, now = new Date()): Snapshot {
  const dependencies: Record<string, DependencyResult> = {};
  let ready = true;
  for (const s of states) {
    const c = s.config;
    // stale: no probe for three intervals (a stalled loop is never reported as healthy)
    const stale = c.target !== null && (s.lastProbeAt === null || now.getTime() - s.lastProbeAt.getTime() > 3 * c.intervalMs);
    const status = c.target === null ? 'not_configured' : (s.outcome?.status ?? 'unknown');
    dependencies[c.name] = {
      status,
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
    if (c.critical && (s.healthy !== true || stale)) ready = false;
  }
  return { generated_at: now.toISOString(), version, ready, dependencies };
}
