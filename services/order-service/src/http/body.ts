// Request bodies: JSON only, at most 100 kB. A body of any other type is 415 before it is read.
import express, { type Request, type RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
export const BODY_LIMIT = '100kb';

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function jsonBody(): RequestHandler[] {
  return [
    (req, _res, next) => {
      if (hasBody(req) && !req.is(JSON_TYPES)) {
        next(new HttpProblem(415, 'unsupported-media-type', 'The request body must be application/json'));
        return;
      }
      next();
    },
    express.json({ limit: BODY_LIMIT, type: JSON_TYPES, strict: true }),
  ];
}
