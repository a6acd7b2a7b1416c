// Stand-in of the search service (Render, CONTRACTS.md §5): only its health endpoint matters here.

import { startStandIn, type StandIn } from './server.js';

export async function startSearchStandIn(opts: { port?: number } = {}): Promise<StandIn> {
  return startStandIn(
    (req, _body, url) =>
      req.method === 'GET' && url.pathname === '/health'
        ? { status: 200, json: { status: 'healthy', service: 'search-service' } }
        : { status: 404, json: { detail: 'Not Found' } },
    { port: opts.port, errorReply: { status: 500, json: { status: 'unhealthy' } } },
  );
}
