// The one ioredis connection of the service (cache and events stream). Redis is never the system
// of record: commands time out fast and fail instead of queueing while it is down, and the client
// reconnects by itself when it returns. rediss:// (Upstash) means TLS, verified against the system
// CAs or REDIS_CA_FILE's bundle.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';

export interface RedisClientOptions {
  commandTimeoutMs?: number;
  /** REDIS_CA_FILE: PEM bundle trusted for rediss:// instead of the system CAs */
  caFile?: string;
  log?: { warn(obj: object, msg?: string): void };
}

/** TLS options for a rediss:// URL (undefined for redis://): certificate and host name verified. */
export function redisTls(url: string, caFile?: string): ConnectionOptions | undefined {
  const parsed = new URL(url);
  if (parsed.protocol !== 'rediss:') return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return {
    // Node sends no SNI unless told; hosted Redis behind a shared endpoint routes by it
    ...(host && isIP(host) === 0 ? { servername: host } : {}),
    ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}),
  };
}

/** Where Redis is, for a log line: host:port and TLS; never the password. */
export function redisTarget(url: string, caFile?: string): Record<string, unknown> {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'rediss:';
  return { address: `${parsed.hostname}:${parsed.port || 6379}`, tls: tls ? `verify-full (CA: ${caFile ? 'REDIS_CA_FILE' : 'system'})` : 'off' };
}

export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const tls = redisTls(url, options.caFile);
  const client = new Redis(url, {
    commandTimeout: options.commandTimeoutMs ?? 250,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    ...(tls ? { tls } : {}),
  });
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) options.log?.warn({ dependency: 'redis', err, redis: redisTarget(url, options.caFile) }, 'redis unavailable; serving from PostgreSQL');
    down = true;
  });
  client.on('ready', () => {
    down = false;
  });
  return client;
}
