// Probes a peer's health endpoint with one GET, bounded by its platform's timeout.

import fetch from 'node-fetch';
import { reasonOf, type ProbeOutcome } from './types.js';

export async function probeHttp(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    await res.arrayBuffer(); // the whole answer, within the same timeout
    const elapsed = performance.now() - started;
    if (res.ok) return { status: 'connected', reason: null, responseTimeMs: elapsed, details: { http_status: res.status } };
    // it answered, so it is reachable: a warning, not a failure
    return {
      status: 'warning',
      reason: res.status === 401 || res.status === 403 ? 'auth' : 'http_status',
      responseTimeMs: elapsed,
      details: { http_status: res.status },
    };
  } catch (err) {
    const cause = (err as { cause?: unknown; code?: string }).code ? err : ((err as { cause?: unknown }).cause ?? err);
    const reason = reasonOf((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError' ? err : cause);
    return { status: reason === 'timeout' ? 'timeout' : 'failed', reason, responseTimeMs: performance.now() - started, error: String((err as Error).message) };
  }
}
