// What one probe of one dependency tells.

export type ProbeStatus = 'connected' | 'warning' | 'failed' | 'timeout' | 'not_configured';
/** degraded: answered 200 with a health body naming another status than the platform's healthy one (a warning only) */
export type FailureReason = 'dns' | 'connect' | 'tls' | 'timeout' | 'http_status' | 'protocol' | 'auth' | 'degraded';

export interface ProbeOutcome {
  status: ProbeStatus;
  reason: FailureReason | null;
  responseTimeMs: number | null;
  /** cheap facts (server version, database name, HTTP status); never URLs or secrets */
  details?: Record<string, string | number>;
  /** raw error text for the log only (redacted there), never served */
  error?: string;
  /** the failure's facts for the log line (SQLSTATE and name, TLS reason, host:port, database); never served */
  cause?: Record<string, string>;
}

/** OpenSSL's certificate verification results as Node names them (err.code). */
const CERT_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE', 'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG', 'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
]);

/** The TLS reason of an error (a certificate verdict, ERR_TLS_*, ERR_SSL_*), or null when it is not one. */
export function tlsReasonOf(err: unknown): string | null {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  return CERT_ERRORS.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') ? code : null;
}

/** Classifies a low-level error into the bounded reason set. */
export function reasonOf(err: unknown): FailureReason {
  const e = err as { code?: string; name?: string; message?: string };
  const code = e.code ?? '';
  const msg = (e.message ?? '').toLowerCase();
  if (tlsReasonOf(err)) return 'tls';
  // SQLSTATE classes: 28 refused credentials; 08 (PgBouncer's 08P01 too), 53300 and 57P0x the server or pooler unavailable
  if (/^28[0-9A-Z]{3}$/.test(code)) return 'auth';
  if (/^08[0-9A-Z]{3}$/.test(code) || code === '53300' || /^57P0[123]$/.test(code)) return 'connect';
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
