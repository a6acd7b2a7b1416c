// Probes a peer's health endpoint with one GET, bounded by its platform's timeout, and reads what
// the answer means (CONTRACTS.md §5): a gateway's 502/503/504 is the peer behind it down; a 200
// whose body names a status other than the platform's healthy word is a warning.

import fetch from 'node-fetch';
import { reasonOf, type ProbeOutcome } from './types.js';

/** What a gateway answers when the service behind it is down or not answering. */
const GATEWAY_DOWN = new Set([502, 503, 504]);

/** The `status` a health body names ({"status":"degraded",…}), or null when it names none. */
function statusOf(body: string): string | null {
  try {
    const status = (JSON.parse(body) as { status?: unknown } | null)?.status;
    return typeof status === 'string' ? status : null;
  } catch {
    return null;
  }
}

export async function probeHttp(url: string, timeoutMs: number, healthyStatus: string | null = null): Promise<ProbeOutcome> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const body = await res.text(); // the whole answer, within the same timeout
    const elapsed = performance.now() - started;
    const details = { http_status: res.status };
    if (GATEWAY_DOWN.has(res.status)) {
      return { status: 'failed', reason: 'http_status', responseTimeMs: elapsed, details, error: `answered ${res.status}` };
    }
    if (res.ok) {
      const said = statusOf(body);
      // a body that names no status is taken at its HTTP word: the contract's bodies always name one
      if (said !== null && healthyStatus !== null && said.toLowerCase() !== healthyStatus.toLowerCase()) {
        return { status: 'warning', reason: 'degraded', responseTimeMs: elapsed, details: { ...details, health_status: said.slice(0, 40) } };
      }
      return { status: 'connected', reason: null, responseTimeMs: elapsed, details };
    }
    // it answered, so it is reachable: a warning, not a failure
    return { status: 'warning', reason: res.status === 401 || res.status === 403 ? 'auth' : 'http_status', responseTimeMs: elapsed, details };
  } catch (err) {
    const cause = (err as { cause?: unknown; code?: string }).code ? err : ((err as { cause?: unknown }).cause ?? err);
    const reason = reasonOf((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError' ? err : cause);
    return { status: reason === 'timeout' ? 'timeout' : 'failed', reason, responseTimeMs: performance.now() - started, error: String((err as Error).message) };
  }
}
