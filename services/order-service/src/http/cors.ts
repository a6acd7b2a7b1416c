// CORS with the cors package: production allows only the configured origins (the platform's
// storefront by default, CONTRACTS §3); development also any loopback origin (http://localhost:<port>,
// http://127.0.0.1:<port>). Credentials are allowed. Behind the platform's gateway its own CORS
// annotations answer preflights; behind the chart's Ingress this is the only CORS layer.
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** What a browser may send: the API's own headers plus those the platform gateway's annotations allow. */
export const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-ID', 'X-Requested-With', 'Accept', 'Origin'];
/** What the storefront's scripts may read: where a new order is, its version, paging (the search's next cursor too), replays, back-off, the request id. */
export const EXPOSED_HEADERS = ['Location', 'ETag', 'Link', 'X-Total-Count', 'X-Next-Cursor', 'Idempotent-Replayed', 'Retry-After', 'X-Request-ID'];

export function isAllowedOrigin(settings: Config['cors'], origin: string): boolean {
  return settings.origins.includes(origin) || (settings.allowLoopback && LOOPBACK_ORIGIN.test(origin));
}

export function corsPolicy(settings: Config['cors']): RequestHandler {
  const policy = cors({
    // an unlisted origin gets no Access-Control-Allow-Origin at all (the browser then blocks it)
    origin: (origin, callback) => callback(null, origin !== undefined && isAllowedOrigin(settings, origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
  return (req, res, next) => {
    // without an Origin header (not a CORS request) there is nothing to decide
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    // the answer depends on the Origin: a cache must not give one origin's answer to another
    res.vary('Origin');
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    // a bounded metrics label: preflights match no operation of the document
    if (preflight) req.routeTemplate = 'preflight';
    if (isAllowedOrigin(settings, origin)) return policy(req, res, next);
    // an unlisted origin's preflight: a plain 204 without CORS headers, so the browser refuses it
    // cleanly instead of the API answering OPTIONS with 405
    if (preflight) {
      res.status(204).setHeader('Content-Length', '0');
      res.end();
      return;
    }
    next();
  };
}
