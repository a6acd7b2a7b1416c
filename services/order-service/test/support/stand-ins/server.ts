// The common part of every stand-in: a real HTTP server on loopback, request counters per route,
// and switchable faults (latency, 500, connection reset, slow body, hang).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';

export interface Faults {
  /** added before every answer */
  latencyMs?: number;
  /** answer 500 (with the peer's own error body) */
  status500?: boolean;
  /** destroy the connection without an answer */
  reset?: boolean;
  /** send headers, then the body one byte every slowBodyMs */
  slowBodyMs?: number;
  /** never answer */
  hang?: boolean;
  /** limit the faults to requests with this method and/or path (e.g. 'PATCH', '/products/7/stock') */
  onlyMethod?: string;
  onlyPath?: string;
}

export interface Reply {
  status: number;
  /** JSON body, a text body, or none (the cart's error bodies are empty) */
  json?: unknown;
  text?: string;
  /** extra headers, or the peer's own spelling of one (FastAPI's bare `application/json`) */
  headers?: Record<string, string>;
}

export type Route = (req: IncomingMessage, body: string, url: URL) => Reply | Promise<Reply>;

/** A stand-in whose health endpoint can be made to say something else (the platform's own words). */
export interface HealthSwitch {
  /** the `status` its GET /health reports from now on, e.g. 'degraded', 'DOWN', 'unhealthy' */
  setHealth(status: string): void;
}

export interface StandIn {
  url: string;
  port: number;
  faults: Faults;
  setFaults(f: Faults): void;
  /** requests seen, by "METHOD /path" with ids replaced by :id */
  requests: Map<string, number>;
  /** the trace context each request came with ("METHOD /path" and its traceparent/tracestate headers) */
  traceHeaders: Array<{ request: string; traceparent?: string; tracestate?: string }>;
  totalRequests(): number;
  close(): Promise<void>;
}

export async function startStandIn(
  handle: Route,
  opts: { port?: number; host?: string; errorReply: Reply },
): Promise<StandIn> {
  let faults: Faults = {};
  const requests = new Map<string, number>();
  const traceHeaders: StandIn['traceHeaders'] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const key = `${req.method} ${url.pathname.replace(/\/\d+(?=\/|$)/g, '/:id')}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    const { traceparent, tracestate } = req.headers as Record<string, string | undefined>;
    if (traceparent !== undefined || tracestate !== undefined) traceHeaders.push({ request: `${req.method} ${url.pathname}`, traceparent, tracestate });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const scoped = (!faults.onlyMethod || faults.onlyMethod === req.method) && (!faults.onlyPath || faults.onlyPath === url.pathname);
    const f: Faults = scoped ? faults : {};
    if (f.hang) return; // the client's timeout has to deal with it
    if (f.latencyMs) await new Promise((r) => setTimeout(r, f.latencyMs));
    if (f.reset) {
      req.socket.destroy();
      return;
    }
    const reply = f.status500 ? opts.errorReply : await handle(req, body, url);
    const payload =
      reply.json !== undefined ? JSON.stringify(reply.json) : reply.text !== undefined ? reply.text : '';
    const type = reply.json !== undefined ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(payload) };
    if (payload !== '') headers['content-type'] = type;
    Object.assign(headers, reply.headers);
    res.writeHead(reply.status, headers);
    if (f.slowBodyMs) {
      for (const byte of Buffer.from(payload)) {
        if (res.destroyed) return;
        res.write(Buffer.from([byte]));
        await new Promise((r) => setTimeout(r, f.slowBodyMs));
      }
      res.end();
    } else {
      res.end(payload);
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get faults() {
      return faults;
    },
    setFaults(f: Faults) {
      faults = { ...f };
    },
    requests,
    traceHeaders,
    totalRequests: () => [...requests.values()].reduce((a, b) => a + b, 0),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
