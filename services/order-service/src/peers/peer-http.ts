// One HTTP peer seen from a request path: short timeouts, one retry for idempotent reads, and a
// circuit breaker (opossum), so a slow or failing peer costs a request seconds at most and
// turns into DependencyUnavailable (503 + Retry-After) instead of a hang or a 500.

import { setTimeout as sleep } from 'node:timers/promises';
import CircuitBreaker from 'opossum';
import fetch, { type RequestInit } from 'node-fetch';
import { DependencyUnavailable } from '../domain/errors.js';
import type { PeerContext } from '../orders/ports.js';
import { injectTraceContext, markFailed, SpanKind, tracer } from '../tracing/trace-context.js';

export interface PeerOptions {
  baseUrl: string;
  /** bound on one attempt, body included */
  timeoutMs?: number;
  /** breaker: open after this share of failed calls (with at least volumeThreshold calls) … */
  errorThresholdPercentage?: number;
  volumeThreshold?: number;
  /** … and let one call through again after this long */
  resetTimeoutMs?: number;
  log?: { warn(obj: object, msg?: string): void };
}

export interface PeerResponse {
  status: number;
  contentType: string;
  text: string;
}

export interface PeerRequest {
  method: 'GET' | 'PATCH' | 'DELETE';
  path: string;
  ctx?: PeerContext;
  body?: unknown;
  /** safe to send twice: reads are retried once after a failure */
  idempotent?: boolean;
}

/** A failure of the peer itself (not an answer we dislike): counted by the breaker. */
class PeerFailure extends Error {
  constructor(readonly reason: 'timeout' | 'connect' | 'http_status', message: string) {
    super(message);
  }
}

export function createPeer(name: string, options: PeerOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 3000;
  const resetTimeoutMs = options.resetTimeoutMs ?? 10_000;
  const server = new URL(base);
  const serverPort = Number(server.port || (server.protocol === 'https:' ? 443 : 80));

  /** One attempt as a client span (a retry is a second span); its traceparent goes to the peer. */
  function attempt(req: PeerRequest): Promise<PeerResponse> {
    // ids out of the span name, so names stay few: GET /products/{id}
    const template = req.path.replace(/\/\d+(?=\/|$)/g, '/{id}');
    return tracer.startActiveSpan(
      `${req.method} ${template}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': req.method,
          'server.address': server.hostname,
          'server.port': serverPort,
          'url.template': template,
          'peer.service': name,
        },
      },
      async (span) => {
        try {
          const res = await send(req);
          span.setAttribute('http.response.status_code', res.status);
          return res;
        } catch (err) {
          markFailed(span, err);
          if (err instanceof PeerFailure) span.setAttribute('error.type', err.reason);
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  async function send(req: PeerRequest): Promise<PeerResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.ctx?.authorization) headers.authorization = req.ctx.authorization;
    if (req.ctx?.requestId) headers['x-request-id'] = req.ctx.requestId;
    injectTraceContext(headers);
    const init: RequestInit = { method: req.method, headers, signal: AbortSignal.timeout(timeoutMs) };
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(req.body);
    }
    try {
      const res = await fetch(`${base}${req.path}`, init);
      const text = await res.text();
      if (res.status >= 500) throw new PeerFailure('http_status', `${name} answered ${res.status}`);
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
    } catch (err) {
      if (err instanceof PeerFailure) throw err;
      const e = err as { name?: string; type?: string };
      if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.type === 'aborted') {
        throw new PeerFailure('timeout', `${name} did not answer within ${timeoutMs} ms`);
      }
      throw new PeerFailure('connect', `${name} could not be reached`);
    }
  }

  async function withRetry(req: PeerRequest): Promise<PeerResponse> {
    try {
      return await attempt(req);
    } catch (err) {
      if (!req.idempotent) throw err;
      await sleep(50 + Math.random() * 100); // jitter, so replicas do not retry in step
      return attempt(req);
    }
  }

  const breaker = new CircuitBreaker(withRetry, {
    name,
    timeout: false, // each attempt has its own AbortSignal timeout
    errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
    volumeThreshold: options.volumeThreshold ?? 5,
    resetTimeout: resetTimeoutMs,
    rollingCountTimeout: 10_000,
  });

  async function request(req: PeerRequest): Promise<PeerResponse> {
    try {
      return await breaker.fire(req);
    } catch (err) {
      const open = breaker.opened || (err as { code?: string }).code === 'EOPENBREAKER';
      const reason = err instanceof PeerFailure ? err.reason : open ? 'circuit_open' : 'error';
      options.log?.warn({ dependency: name, reason }, 'peer call failed');
      throw new DependencyUnavailable(
        name,
        `The ${name.replace('-', ' ')} is unavailable right now; please retry shortly`,
        open ? Math.ceil(resetTimeoutMs / 1000) : 5,
      );
    }
  }

  return {
    request,
    get breakerState(): 'closed' | 'open' | 'half-open' {
      return breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed';
    },
    shutdown: () => breaker.shutdown(),
  };
}
