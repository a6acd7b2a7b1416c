// Request bodies: JSON only, at most 100 kB. A body of any other type is 415 before it is read.
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
export const BODY_LIMIT = '100kb';

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * One middleware: a request without any body (no Content-Length, no Transfer-Encoding: every GET)
 * goes straight on, as body-parser would send it; a body of another type is 415 before it is read.
 */
export function jsonBody(): RequestHandler {
  const parse = express.json({ limit: BODY_LIMIT, type: JSON_TYPES, strict: true });
  return (req, res, next) => {
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      next();
      return;
    }
    if (hasBody(req) && !req.is(JSON_TYPES)) {
      next(new HttpProblem(415, 'unsupported-media-type', 'The request body must be application/json'));
      return;
    }
    parse(req, res, (err?: unknown) => (err === undefined ? next() : undecodableBody(err, req, res, next)));
  };
}

/**
 * A body whose Content-Encoding (gzip, deflate, br) does not match its bytes: body-parser passes on
 * zlib's own error as a 400 without a `type`, which would otherwise end as a 500 (found by the
 * resilience fuzz). Every other error goes on unchanged.
 */
const undecodableBody: ErrorRequestHandler = (err, _req, _res, next) => {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  if (typeof type !== 'string' && typeof status === 'number' && status >= 400 && status < 500) {
    next(new HttpProblem(400, 'malformed-body', 'The request body could not be decoded as its Content-Encoding says'));
    return;
  }
  next(err);
};
