// What one probe of one dependency tells.

export type ProbeStatus = 'connected' | 'warning' | 'failed' | 'timeout' | 'not_configured';
export type FailureReason = 'dns' | 'connect' | 'tls' | 'timeout' | 'http_status' | 'protocol' | 'auth';

export interface ProbeOutcome {
  status: ProbeStatus;
  reason: FailureReason | null;
  responseTimeMs: number | null;
  /** cheap facts (server version, database name, HTTP status); never URLs or secrets */
  details?: Record<string, string | number>;
  /** raw error text for the log only (redacted there), never served */
  error?: string;
}

/** Classifies a low-level error into the bounded reason set. */
export function reasonOf(err: unknown): FailureReason {
  const e = err as { code?: string; name?: string; message?: string };
  const code = e.code ?? '';
  const msg = (e.message ?? '').toLowerCase();
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'ETIMEDOUT' || msg.includes('timeout')) return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || msg.includes('ssl') || msg.includes('tls')) return 'tls';
  if (code === '28P01' || code === '28000' || msg.includes('noauth') || msg.includes('wrongpass') || msg.includes('password')) return 'auth';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'EPIPE' || msg.includes('connect')) return 'connect';
  return 'protocol';
}

/** Rejects after `ms` with a TimeoutError, so every probe is bounded. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timeout after ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
