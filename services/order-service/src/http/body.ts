// Request bodies: JSON only, at most 100 kB. A body of any other type is 415 before it is read.
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
export const BODY_LIMIT = '100kb';

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function jsonBody(): Array<RequestHandler | ErrorRequestHandler> {
  const onlyJson: RequestHandler = (req, _res, next) => {
    if (hasBody(req) && !req.is(JSON_TYPES)) {
      next(new HttpProblem(415, 'unsupported-media-type', 'The request body must be application/json'));
      return;
    }
    next();
  };
  return [onlyJson, express.json({ limit: BODY_LIMIT, type: JSON_TYPES, strict: true }), undecodableBody];
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
