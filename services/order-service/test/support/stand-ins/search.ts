// Stand-in of the search service (Render, CONTRACTS.md §5): only its health endpoint matters here.

import { startStandIn, type HealthSwitch, type StandIn } from './server.js';

export type SearchStandIn = StandIn & HealthSwitch;

export async function startSearchStandIn(opts: { port?: number } = {}): Promise<SearchStandIn> {
  let health = 'healthy';
  const server = await startStandIn(
    (req, _body, url) =>
      req.method === 'GET' && url.pathname === '/health'
        ? { status: 200, json: { status: health, service: 'search-service' } }
        : { status: 404, json: { detail: 'Not Found' } },
    { port: opts.port, errorReply: { status: 500, json: { status: 'unhealthy' } } },
  );
  return Object.assign(server, { setHealth: (status: string) => void (health = status) });
}
