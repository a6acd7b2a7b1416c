// A small load balancer in front of service processes, doing what a Kubernetes Service and its
// endpoints controller do: it polls each backend's /health/ready and sends requests only to the
// ready ones, over keep-alive connections. A request it cannot deliver is a 502 and counted.

import { once } from 'node:events';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Backend {
  url: URL;
  ready: boolean;
  served: number;
  /** when the controller first saw it not ready after having been ready */
  droppedAt?: number;
}

export interface Proxy {
  url: string;
  add(url: string): void;
  remove(url: string): void;
  backend(url: string): Backend | undefined;
  /** requests the proxy could not deliver (no ready backend, connection refused or reset) */
  failures: string[];
  close(): Promise<void>;
}

// hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, so a proxy does not pass them on:
// forwarded, the service's Keep-Alive: timeout=65 told clients this proxy (idle timeout 5 s) keeps
// their sockets that long, and a request sent on one it had just closed was reset
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const listed = String(headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase());
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name) && !listed.includes(name)));
}

export async function startProxy(options: { pollMs?: number } = {}): Promise<Proxy> {
  const backends: Backend[] = [];
  const failures: string[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  let next = 0;

  const poll = setInterval(() => {
    for (const b of backends) {
      const req = request(new URL('/health/ready', b.url), { agent, timeout: 1000 }, (res) => {
        res.resume();
        const ready = res.statusCode === 200;
        if (b.ready && !ready) b.droppedAt = Date.now();
        b.ready = ready;
      });
      req.on('error', () => {
        if (b.ready) b.droppedAt = Date.now();
        b.ready = false;
      });
      req.end();
    }
  }, options.pollMs ?? 100);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const ready = backends.filter((b) => b.ready);
    if (ready.length === 0) {
      failures.push(`${req.method} ${req.url}: no ready backend`);
      res.writeHead(502).end();
      return;
    }
    const target = ready[next++ % ready.length]!;
    target.served++;
    const upstream = request(
      new URL(req.url ?? '/', target.url),
      { method: req.method, headers: endToEnd(req.headers), agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
        up.pipe(res);
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      failures.push(`${req.method} ${req.url} → ${target.url.host}: ${err.code ?? err.message}`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    add: (url) => backends.push({ url: new URL(url), ready: false, served: 0 }),
    remove: (url) => {
      const i = backends.findIndex((b) => b.url.href === new URL(url).href);
      if (i >= 0) backends.splice(i, 1);
    },
    backend: (url) => backends.find((b) => b.url.href === new URL(url).href),
    failures,
    close: async () => {
      clearInterval(poll);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}
