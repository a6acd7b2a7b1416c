// A small API client for the resilience tests: one call = one request over a real socket, with its
// latency, recorded in the transcript; a connection failure is an answer too (status 0).

import type { Transcript } from './harness.js';

export const ADDRESS = { address: '742 Evergreen Terrace', city: 'Springfield', state: 'OR', postal_code: '97403', country: 'US' };

export interface Answer {
  status: number;
  ms: number;
  contentType: string;
  retryAfter: string | null;
  replayed: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  body: any;
  /** the connection error's code when status is 0 */
  error?: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export function createClient(baseUrl: () => string, transcript: Transcript) {
  return async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const started = performance.now();
    try {
      const res = await transcript.fetch(`${baseUrl()}${path}`, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      let body: unknown = res.text;
      try {
        body = res.text ? JSON.parse(res.text) : undefined;
      } catch {
        /* not JSON (docs, metrics) */
      }
      return {
        status: res.status,
        ms: performance.now() - started,
        contentType: res.headers.get('content-type') ?? '',
        retryAfter: res.headers.get('retry-after'),
        replayed: res.headers.get('idempotent-replayed') === 'true',
        body,
      };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      return { status: 0, ms: performance.now() - started, contentType: '', retryAfter: null, replayed: false, body: undefined, error: cause?.code ?? (err as Error).name };
    }
  };
}

export type Call = ReturnType<typeof createClient>;

/** p-quantile of a list of numbers (nearest rank). */
export function quantile(values: number[], q: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
