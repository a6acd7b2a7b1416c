// Accept a sane X-Request-ID from the gateway or mint a UUID, and echo it on every response.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    req.requestId = given !== undefined && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-ID', req.requestId);
    next();
  };
}
