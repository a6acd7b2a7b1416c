// The sidecar's HTTP face on loopback and the pod IP: /v1/results (ETag, 304), /metrics, /healthz.
// Plain node:http: three fixed routes need no framework.

import { createServer, type Server } from 'node:http';
import { RESULTS_PATH } from '@orders/health-snapshot';
import type { Registry } from 'prom-client';
import type { Snapshot } from './results.js';

export function createSidecarServer(deps: { snapshot(): Snapshot; registry: Registry; alive(): boolean }): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/problem+json' }).end('{"title":"Method Not Allowed","status":405}');
      return;
    }
    if (path === RESULTS_PATH) {
      const snap = deps.snapshot();
      const etag = `W/"${snap.version}-${snap.ready ? 1 : 0}-${Object.values(snap.dependencies).filter((d) => d.stale).length}"`;
      res.setHeader('etag', etag);
      res.setHeader('cache-control', 'no-cache');
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(snap));
      return;
    }
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (path === '/healthz') {
      const ok = deps.alive();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'probe loop stalled' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"title":"Not Found","status":404}');
  });
}
