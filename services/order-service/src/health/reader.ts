// Reads the sidecar's latest results for /health/*: cached for at most a second and refreshed
// with a conditional GET (ETag), one fetch at a time, so a thousand health calls cost the
// dependencies nothing and the sidecar at most one request a second. Unreachable or stale
// results are reported as unknown, never as connected.

import fetch from 'node-fetch';

export interface SidecarDependency {
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

export interface HealthView {
  /** false when the sidecar could not be read at all */
  reachable: boolean;
  generatedAt: string | null;
  /** the critical dependency is fine (false when unknown) */
  criticalOk: boolean;
  dependencies: Record<string, SidecarDependency>;
}

export const DEPENDENCIES = ['postgres', 'redis', 'user-service', 'cart-service', 'product-service', 'search-service'] as const;

interface SidecarSnapshot {
  generated_at: string;
  ready: boolean;
  dependencies: Record<string, SidecarDependency>;
}

export function createHealthReader(options: { sidecarUrl: string; maxAgeMs?: number; timeoutMs?: number; now?: () => number }) {
  const url = `${options.sidecarUrl.replace(/\/+$/, '')}/v1/results`;
  const maxAge = options.maxAgeMs ?? 1000;
  const now = options.now ?? Date.now;
  let cached: { snapshot: SidecarSnapshot; etag: string | null; fetchedAt: number } | null = null;
  let failedAt = 0;
  let inFlight: Promise<void> | null = null;
  let requests = 0;

  async function refresh(): Promise<void> {
    requests += 1;
    try {
      const res = await fetch(url, {
        headers: cached?.etag ? { 'if-none-match': cached.etag } : {},
        signal: AbortSignal.timeout(options.timeoutMs ?? 500),
      });
      if (res.status === 304 && cached) {
        cached.fetchedAt = now();
        return;
      }
      if (res.status !== 200) throw new Error(`sidecar answered ${res.status}`);
      cached = { snapshot: (await res.json()) as SidecarSnapshot, etag: res.headers.get('etag'), fetchedAt: now() };
      failedAt = 0;
    } catch {
      cached = null;
      failedAt = now();
    }
  }

  // the view of one snapshot, made again when the snapshot changes or a quarter of a second has
  // passed (staleness is judged by the clock): probes in between share it
  let memo: { snapshot: SidecarSnapshot | undefined; at: number; view: HealthView } | null = null;
  /** The sidecar's results (or its being unreachable) are recent enough to answer with. */
  const usable = (t: number) => (cached ? t - cached.fetchedAt < maxAge : t - failedAt < maxAge);
  const memoValid = (t: number) => memo !== null && memo.snapshot === cached?.snapshot && Math.abs(t - memo.at) < 250;

  async function read(): Promise<HealthView> {
    if (!usable(now())) {
      inFlight ??= refresh().finally(() => (inFlight = null));
      await inFlight;
    }
    if (!memoValid(now())) memo = { snapshot: cached?.snapshot, at: now(), view: view() };
    return memo!.view;
  }

  /** The shared view without waiting, when read() would give it without fetching or rebuilding. */
  function peek(): HealthView | null {
    const t = now();
    return usable(t) && memoValid(t) ? memo!.view : null;
  }

  function view(): HealthView {
    const snap = cached?.snapshot;
    const dependencies: Record<string, SidecarDependency> = {};
    for (const name of DEPENDENCIES) {
      const d = snap?.dependencies[name];
      // stale by our own clock too: a sidecar whose loop stalled keeps serving old results
      const stale = !d || d.stale || (d.last_probe_at !== null && now() - Date.parse(d.last_probe_at) > 3 * d.interval_ms);
      dependencies[name] = d
        ? { ...d, stale: stale && d.status !== 'not_configured', status: stale && d.status !== 'not_configured' ? 'unknown' : d.status }
        : {
            status: 'unknown',
            kind: name === 'postgres' ? 'database' : name === 'redis' ? 'cache' : 'peer',
            critical: name === 'postgres',
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
    const pg = dependencies.postgres!;
    return {
      reachable: Boolean(snap),
      generatedAt: snap?.generated_at ?? null,
      criticalOk: Boolean(snap?.ready) && pg.status !== 'unknown',
      dependencies,
    };
  }

  return { read, peek, requestCount: () => requests };
}

export type HealthReader = ReturnType<typeof createHealthReader>;
