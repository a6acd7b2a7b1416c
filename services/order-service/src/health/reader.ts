// Reads the sidecar's latest results for /health/*: cached for at most a second and refreshed
// with a conditional GET (ETag), one fetch at a time, so a thousand health calls cost the
// dependencies nothing and the sidecar at most one request a second. Unreachable or stale
// results are reported as unknown, never as connected.

import {
  CRITICAL_DEPENDENCY,
  DEPENDENCIES,
  isStale,
  RESULTS_PATH,
  unknownResult,
  type DependencyResult,
  type Snapshot,
} from '@orders/health-snapshot';
import fetch from 'node-fetch';


export interface HealthView {
  /** false when the sidecar could not be read at all */
  reachable: boolean;
  generatedAt: string | null;
  /** the critical dependency is fine (false when unknown) */
  criticalOk: boolean;
  dependencies: Record<string, DependencyResult>;
}

interface ReaderOptions {
  sidecarUrl: string;
  maxAgeMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/** The sidecar's snapshot by conditional GET; null after a failure, each kept for maxAgeMs. */
function createSnapshotCache(options: ReaderOptions) {
  const url = `${options.sidecarUrl.replace(/\/+$/, '')}${RESULTS_PATH}`;
  const maxAge = options.maxAgeMs ?? 1000;
  const now = options.now ?? Date.now;
  let cached: { snapshot: Snapshot; etag: string | null; fetchedAt: number } | null = null;
  let failedAt = 0;
  let inFlight: Promise<void> | null = null;

  async function refresh(): Promise<void> {
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
      cached = { snapshot: (await res.json()) as Snapshot, etag: res.headers.get('etag'), fetchedAt: now() };
      failedAt = 0;
    } catch {
      cached = null;
      failedAt = now();
    }
  }

  return {
    /** the sidecar's results (or its being unreachable) are recent enough to answer with */
    usable: (t: number) => (cached ? t - cached.fetchedAt < maxAge : t - failedAt < maxAge),
    snapshot: () => cached?.snapshot,
    async refresh(): Promise<void> {
      inFlight ??= refresh().finally(() => (inFlight = null));
      await inFlight;
    },
  };
}

/** What /health/* answers from one snapshot (or none), judged stale by this process's clock too. */
function viewOf(snap: Snapshot | undefined, nowMs: number): HealthView {
  const dependencies: Record<string, DependencyResult> = {};
  for (const name of DEPENDENCIES) {
    const d = snap?.dependencies[name];
    // a sidecar whose loop stalled keeps serving old results
    const stale = d !== undefined && d.status !== 'not_configured' && (d.stale || isStale(d.last_probe_at === null ? null : Date.parse(d.last_probe_at), d.interval_ms, nowMs));
    dependencies[name] = d ? { ...d, stale, status: stale ? 'unknown' : d.status } : unknownResult(name);
  }
  return {
    reachable: Boolean(snap),
    generatedAt: snap?.generated_at ?? null,
    criticalOk: Boolean(snap?.ready) && dependencies[CRITICAL_DEPENDENCY]!.status !== 'unknown',
    dependencies,
  };
}

export function createHealthReader(options: ReaderOptions) {
  const now = options.now ?? Date.now;
  const cache = createSnapshotCache(options);
  // the view of one snapshot, made again when the snapshot changes or a quarter of a second has
  // passed (staleness is judged by the clock): probes in between share it
  let memo: { snapshot: Snapshot | undefined; at: number; view: HealthView } | null = null;
  const memoValid = (t: number) => memo !== null && memo.snapshot === cache.snapshot() && Math.abs(t - memo.at) < 250;

  async function read(): Promise<HealthView> {
    if (!cache.usable(now())) await cache.refresh();
    if (!memoValid(now())) memo = { snapshot: cache.snapshot(), at: now(), view: viewOf(cache.snapshot(), now()) };
    return memo!.view;
  }

  /** The shared view without waiting, when read() would give it without fetching or rebuilding. */
  function peek(): HealthView | null {
    const t = now();
    return cache.usable(t) && memoValid(t) ? memo!.view : null;
  }

  return { read, peek };
}

export type HealthReader = ReturnType<typeof createHealthReader>;
