// The health snapshot the sidecar serves at /v1/results and the service's /health/* read: the
// dependencies it covers, one dependency's record, and when a record is too old to believe.

export const RESULTS_PATH = '/v1/results';

export type DependencyName = 'postgres' | 'redis' | 'user-service' | 'cart-service' | 'product-service' | 'search-service';
export type DependencyKind = 'database' | 'cache' | 'peer';

/** Every dependency a snapshot reports, in its order; PostgreSQL is the one readiness depends on. */
export const DEPENDENCIES: readonly DependencyName[] = ['postgres', 'redis', 'user-service', 'cart-service', 'product-service', 'search-service'];

export const CRITICAL_DEPENDENCY: DependencyName = 'postgres';

export function kindOf(name: DependencyName): DependencyKind {
  return name === 'postgres' ? 'database' : name === 'redis' ? 'cache' : 'peer';
}

/** One dependency's latest probe as the snapshot carries it. */
export interface DependencyResult {
  /** connected, warning, failed, timeout, not_configured; unknown when there is nothing recent to tell */
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
  /** grows with every recorded probe (the ETag is made from it) */
  version: number;
  /** the critical dependency is healthy (after hysteresis) and its result is not stale */
  ready: boolean;
  dependencies: Record<string, DependencyResult>;
}

/** A result is stale after this many of its intervals without a probe: a stalled loop is never healthy. */
export const STALE_AFTER_INTERVALS = 3;

/** The staleness rule both processes apply: no probe yet, or none for three intervals. */
export function isStale(lastProbeAtMs: number | null, intervalMs: number, nowMs: number): boolean {
  return lastProbeAtMs === null || nowMs - lastProbeAtMs > STALE_AFTER_INTERVALS * intervalMs;
}

/** The record of a dependency the snapshot does not mention (or that could not be read). */
export function unknownResult(name: DependencyName): DependencyResult {
  return {
    status: 'unknown',
    kind: kindOf(name),
    critical: name === CRITICAL_DEPENDENCY,
    platform: 'unknown',
    provider: 'unknown',
    response_time_ms: null,
    reason: null,
    last_probe_at: null,
    last_success_at: null,
    consecutive_failures: 0,
    interval_ms: 0,
    stale: true,
  };
}
