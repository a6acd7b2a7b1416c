// Sockets for tests: a free loopback port, and waiting for a state instead of sleeping.

import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/** A loopback port nobody listens on right now (for processes that must be told their port). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once `check` holds, polling every 25 ms; rejects after `ms` naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
