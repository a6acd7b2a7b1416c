// CORS with the cors package: production allows only the configured origins; development also any
// loopback origin (http://localhost:<port>, http://127.0.0.1:<port>). Credentials are allowed.
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

export function isAllowedOrigin(settings: Config['cors'], origin: string): boolean {
  return settings.origins.includes(origin) || (settings.allowLoopback && LOOPBACK_ORIGIN.test(origin));
}

export function corsPolicy(settings: Config['cors']): RequestHandler {
  const policy = cors({
    // an unlisted origin gets no Access-Control-Allow-Origin at all (the browser then blocks it)
    origin: (origin, callback) => callback(null, origin !== undefined && isAllowedOrigin(settings, origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-ID'],
    exposedHeaders: ['ETag', 'Location', 'Link', 'X-Total-Count', 'X-Request-ID', 'Retry-After', 'Idempotent-Replayed'],
    maxAge: 600,
  });
  // without an Origin header (not a CORS request) the origin callback says no, and cors then adds
  // nothing and calls next: the same, without copying its options for every request
  return (req, res, next) => (req.headers.origin === undefined ? next() : policy(req, res, next));
}
