// Two ways to stall exactly one thing, for as long as a test wants, over real sockets:
// - a gate: an HTTP forwarder in front of a peer that holds the next matching request until
//   released (a product call that hangs past an idempotency lease, then goes on);
// - a link: a TCP forwarder in front of PostgreSQL or PgBouncer that can freeze (bytes are kept,
//   none delivered, connections stay open), as a stalled server or network looks from one client.

import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface Gate {
  url: string;
  /** holds the next request with this method and path; resolves once one is held */
  holdNext(method: string, path: string): Promise<void>;
  /** lets the held request go on to the peer */
  release(): void;
  close(): Promise<void>;
}

export async function startGate(target: string): Promise<Gate> {
  const agent = new Agent({ keepAlive: true });
  let armed: { method: string; path: string; held: () => void } | undefined;
  let releaseHeld: (() => void) | undefined;
  const sockets = new Set<Socket>();

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://gate').pathname;
    if (armed && armed.method === req.method && armed.path === path) {
      const { held } = armed;
      armed = undefined;
      await new Promise<void>((resolve) => {
        releaseHeld = resolve;
        held();
      });
    }
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    holdNext: (method, path) => new Promise<void>((held) => (armed = { method, path, held })),
    release: () => {
      releaseHeld?.();
      releaseHeld = undefined;
    },
    close: async () => {
      releaseHeld?.();
      agent.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Link {
  port: number;
  /** the same URL with host:port pointing at the link */
  via(url: string): string;
  freeze(): void;
  thaw(): void;
  /** open client connections with bytes sent since the last freeze (kept, not yet delivered) */
  waitingClients(): number;
  close(): Promise<void>;
}

export async function startLink(targetPort: number): Promise<Link> {
  let frozen = false;
  // a client that closes while frozen (a pool retiring an idle connection) is not waiting for anything
  let waiting = new Set<Socket>();
  const pending: Array<() => void> = [];
  const sockets = new Set<Socket>();

  const forward = (from: Socket, to: Socket, fromClient: boolean) => {
    from.on('data', (chunk: Buffer) => {
      if (!frozen) {
        to.write(chunk);
        return;
      }
      if (fromClient) waiting.add(from);
      pending.push(() => to.write(chunk));
    });
    if (fromClient) from.on('end', () => waiting.delete(from));
    from.on('close', () => (frozen ? pending.push(() => to.destroy()) : to.destroy()));
    from.on('error', () => undefined);
  };

  const server = createTcpServer((client: Socket) => {
    const server = connect(targetPort, '127.0.0.1');
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    forward(client, server, true);
    forward(server, client, false);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    via: (url) => {
      const u = new URL(url);
      u.port = String(port);
      return u.toString();
    },
    freeze: () => {
      frozen = true;
      waiting = new Set();
    },
    thaw: () => {
      frozen = false;
      for (const send of pending.splice(0)) send(); // in arrival order, as TCP would have
    },
    waitingClients: () => waiting.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
