// A small reverse proxy that behaves like an nginx ingress with use-regex and rewrite-target: the
// request path must match one of the location regexes (anchored at the start, case-insensitive, as
// ingress-nginx writes them), it is rewritten with $n substitution, extra headers are set, and the
// request goes to the target over a real socket. Anything unmatched is the ingress's plain 404.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RewriteProxy {
  url: string;
  close(): Promise<void>;
}

export async function startRewriteProxy(options: {
  target: string;
  /** location regexes as written in the Ingress (ingress-nginx adds the leading ^) */
  paths: string[];
  /** e.g. "/$2" */
  rewriteTarget: string;
  /** headers the ingress sets on the way in (x-forwarded-prefix) */
  setHeaders?: Record<string, string>;
  /** headers it drops on the way in (the platform's gateway passes no x-forwarded-prefix on) */
  dropHeaders?: string[];
}): Promise<RewriteProxy> {
  const locations = options.paths.map((p) => new RegExp(`^${p}`, 'i'));
  const target = new URL(options.target);
  const server: Server = createServer((req, res) => {
    const [path = '/', query] = (req.url ?? '/').split(/\?(.*)/s, 2);
    const match = locations.map((l) => l.exec(path)).find((m) => m !== null);
    if (!match) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
      return;
    }
    const rewritten = options.rewriteTarget.replace(/\$(\d)/g, (_all, n: string) => match[Number(n)] ?? '');
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        // one connection per request: nothing pooled stays open after close()
        agent: false,
        path: query === undefined ? rewritten : `${rewritten}?${query}`,
        headers: {
          ...Object.fromEntries(Object.entries(req.headers).filter(([name]) => !(options.dropHeaders ?? []).includes(name))),
          host: target.host,
          ...(options.setHeaders ?? {}),
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
