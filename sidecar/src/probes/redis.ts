// Probes Redis (Upstash in production: rediss:// means TLS) with PING on a short-lived connection.

import { Redis } from 'ioredis';
import { reasonOf, tlsReasonOf, withTimeout, type ProbeOutcome } from './types.js';

/** `ca`: a PEM CA bundle trusted for rediss:// instead of the system CAs (null: the system CAs). */
export async function probeRedis(url: string, timeoutMs: number, ca: string | null = null): Promise<ProbeOutcome> {
  const tls = url.startsWith('rediss://');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // one attempt per probe: the schedule is the retry
    // a tls option on a redis:// URL would turn TLS on: only for rediss://
    ...(tls && ca ? { tls: { ca } } : {}),
  });
  // ioredis rejects connect() with "Connection is closed"; the socket's own error says why
  let socketError: Error | null = null;
  client.on('error', (err: Error) => (socketError ??= err));
  const started = performance.now();
  try {
    await withTimeout(client.connect(), timeoutMs);
    const pong = await withTimeout(client.ping(), timeoutMs);
    if (pong !== 'PONG') return { status: 'failed', reason: 'protocol', responseTimeMs: performance.now() - started };
    const info = await withTimeout(client.info('server'), timeoutMs).catch(() => '');
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1];
    return { status: 'connected', reason: null, responseTimeMs: performance.now() - started, ...(version ? { details: { version } } : {}) };
  } catch (caught) {
    const err: Error = (caught as Error).name === 'TimeoutError' ? (caught as Error) : (socketError ?? (caught as Error));
    const reason = reasonOf(err);
    const cause: Record<string, string> = { target: `${client.options.host ?? 'localhost'}:${client.options.port ?? 6379}` };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') cause.code = code;
    const tlsReason = tlsReasonOf(err);
    if (tlsReason) cause.tls = tlsReason;
    return {
      status: reason === 'timeout' ? 'timeout' : 'failed',
      reason,
      responseTimeMs: performance.now() - started,
      error: `${cause.code ? `${cause.code}: ` : ''}${String(err.message)} (${cause.target}${tls ? ', TLS' : ''})`,
      cause,
    };
  } finally {
    client.disconnect();
  }
}
