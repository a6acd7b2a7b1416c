// Every shortcut beside the normal request pipeline, in one place, with the condition under which a
// request takes it; anything that does not meet the condition goes the full way. docs/architecture.md
// ("Fast paths") describes the same list.
import type { RequestHandler } from 'express';
import type { Context, OpenAPIBackend } from 'openapi-backend';
import type { OperationHandler } from './api.js';

export interface FastPath {
  name: string;
  /** the file that implements it */
  where: string;
  /** when a request takes it */
  condition: string;
  /** what it does not do again */
  skips: string;
}

export const FAST_PATHS: readonly FastPath[] = [
  {
    name: 'anonymous probes',
    where: 'http/fast-paths.ts (anonymousProbes)',
    condition: 'GET/HEAD of exactly the path of an operation with no parameters, no body and anonymous access; no query string, body, Authorization or Origin header',
    skips: 'CORS, token reading, body parsing and openapi-backend routing, security and validation',
  },
  {
    name: 'verified-token cache',
    where: 'http/auth.ts (readBearerToken)',
    condition: 'an Authorization header byte-identical to one whose signature verified before, and its exp still ahead',
    skips: 'the signature check and the decoding of the token',
  },
  {
    name: 'cached response text',
    where: 'http/cached-order-use-cases.ts over cache/order-cache.ts',
    condition: 'GET of one order or the admin statistics with Redis reachable, no invalidation outstanding and an entry present; the owner check still runs',
    skips: 'the PostgreSQL read and the JSON serialisation (the stored text is sent as it is)',
  },
  {
    name: 'pre-serialised health bodies',
    where: 'health/handlers.ts (connectivityBody)',
    condition: 'GET /health/connectivity while the reader shares one sidecar view (up to 250 ms): the body around its timestamp is serialised once per view and detail level',
    skips: 'serialising the report again; only the timestamp is new',
  },
];

/**
 * Probes (kubelet, Prometheus, the gateway's health check) without the general request pipeline.
 * An operation qualifies when the document gives it nothing to check: a GET with no parameters, no
 * body and anonymous access allowed. A request takes this path only when it is exactly such an
 * operation's path with no query string, no body, no Authorization and no Origin header, so routing,
 * parsing, security and validation by openapi-backend could only have come to the same handler with
 * an anonymous caller; anything else (a token, CORS, a query, a trailing slash) goes the full way.
 * Request id, metrics and the access log run before this, as for every request.
 */
export function anonymousProbes(api: OpenAPIBackend): RequestHandler {
  const probes = new Map<string, { path: string; handler: OperationHandler; context: Context }>();
  for (const op of api.router.getOperations()) {
    const requirements = op.security ?? api.document.security ?? [];
    const anonymous = requirements.length === 0 || requirements.some((requirement) => Object.keys(requirement).length === 0);
    const handler = api.handlers[op.operationId ?? ''] as OperationHandler | undefined;
    if (op.method !== 'get' || (op.parameters ?? []).length > 0 || op.requestBody || !anonymous || !handler) continue;
    probes.set(op.path, { path: op.path, handler, context: { api, operation: op, security: { authorized: true } } as unknown as Context });
  }
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.authorization !== undefined || req.headers.origin !== undefined) return next();
    const probe = probes.get(req.url);
    if (!probe || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return next();
    req.routeTemplate = probe.path;
    try {
      Promise.resolve(probe.handler(probe.context, req, res)).catch(next);
    } catch (err) {
      next(err);
    }
  };
}
