// Probes Redis (Upstash in production: rediss:// means TLS) with PING on a short-lived connection.

import { Redis } from 'ioredis';
import { reasonOf, withTimeout, type ProbeOutcome } from './types.js';

export async function probeRedis(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // one attempt per probe: the schedule is the retry
  });
  client.on('error', () => undefined);
  const started = performance.now();
  try {
    await withTimeout(client.connect(), timeoutMs);
    const pong = await withTimeout(client.ping(), timeoutMs);
    if (pong !== 'PONG') return { status: 'failed', reason: 'protocol', responseTimeMs: performance.now() - started };
    const info = await withTimeout(client.info('server'), timeoutMs).catch(() => '');
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1];
    return { status: 'connected', reason: null, responseTimeMs: performance.now() - started, ...(version ? { details: { version } } : {}) };
  } catch (err) {
    const reason = reasonOf(err);
    return { status: reason === 'timeout' ? 'timeout' : 'failed', reason, responseTimeMs: performance.now() - started, error: String((err as Error).message) };
  } finally {
    client.disconnect();
  }
}
