// The one ioredis connection of the service (cache and events stream). Redis is never the system
// of record: commands time out fast and fail instead of queueing while it is down, and the client
// reconnects by itself when it returns. rediss:// (Upstash) means TLS.

import { Redis } from 'ioredis';

export function createRedisClient(url: string, options: { commandTimeoutMs?: number; log?: { warn(obj: object, msg?: string): void } } = {}): Redis {
  const client = new Redis(url, {
    commandTimeout: options.commandTimeoutMs ?? 250,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) options.log?.warn({ dependency: 'redis', error: err.name }, 'redis unavailable; serving from PostgreSQL');
    down = true;
  });
  client.on('ready', () => {
    down = false;
  });
  return client;
}
