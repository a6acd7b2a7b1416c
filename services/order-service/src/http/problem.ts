// The one place where errors become application/problem+json (RFC 9457): domain errors, body-parser
// errors, authentication failures and everything unknown (500 with a request id, no internals).
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { DependencyUnavailable, DomainError, NotFound, type FieldError } from '../domain/errors.js';
import type { Log } from '../log.js';

export const PROBLEM_TYPE_BASE = 'https://orders.ecommerce.dev/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

/** A problem plus the response headers it needs (Retry-After, WWW-Authenticate, Allow). */
export interface ProblemResponse {
  problem: Problem;
  headers: Record<string, string>;
}

/** An error the HTTP layer raises itself (bad JSON, 401, 405, 413, 415 …) with its headers. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function problem(status: number, type: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: PROBLEM_TYPE_BASE + type, title: STATUS_CODES[status] ?? 'Error', status, detail, ...extra };
}

// body-parser (express.json) reports its failures with a `type`; only these are the client's fault.
const BODY_PARSER_PROBLEMS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'payload-too-large', 'The request body is larger than 100 kB'],
  'entity.parse.failed': [400, 'malformed-json', 'The request body is not valid JSON'],
  'entity.verify.failed': [400, 'malformed-json', 'The request body could not be verified'],
  'encoding.unsupported': [415, 'unsupported-media-type', 'The request body encoding is not supported'],
  'charset.unsupported': [415, 'unsupported-media-type', 'The request body charset is not supported'],
  'request.aborted': [400, 'request-aborted', 'The request body was not received completely'],
  'request.size.invalid': [400, 'bad-request', 'The request body length does not match Content-Length'],
  'stream.encoding.set': [500, 'internal-error', 'An unexpected error occurred'],
  'parameters.too.many': [413, 'payload-too-large', 'The request has too many parameters'],
};

/**
 * Maps any thrown value to the problem the client sees. Unknown errors reveal nothing; those that
 * isDatabaseUnavailable recognises (data/database.ts, passed in by app.ts) are a 503.
 */
export function toProblem(err: unknown, isDatabaseUnavailable: (err: unknown) => boolean = () => false): ProblemResponse {
  if (err instanceof DomainError) {
    const headers: Record<string, string> = {};
    if (err instanceof DependencyUnavailable) headers['Retry-After'] = String(err.retryAfterSeconds);
    if (err.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="orders"';
    return { problem: problem(err.status, err.type, err.message, err.extra), headers };
  }
  if (err instanceof HttpProblem) {
    return { problem: problem(err.status, err.type, err.message, err.extra), headers: { ...err.headers } };
  }
  if (isDatabaseUnavailable(err)) {
    // an outage or restart of PostgreSQL: the client may retry; nothing was written (transactions roll back)
    return toProblem(new DependencyUnavailable('postgres', 'The order database is unavailable right now; retry shortly'));
  }
  const bodyType = (err as { type?: unknown } | null)?.type;
  if (typeof bodyType === 'string' && bodyType in BODY_PARSER_PROBLEMS) {
    const [status, type, detail] = BODY_PARSER_PROBLEMS[bodyType]!;
    return { problem: problem(status, type, detail), headers: {} };
  }
  return {
    problem: problem(500, 'internal-error', 'An unexpected error occurred; quote the request_id when reporting it'),
    headers: {},
  };
}

export function sendProblem(req: Request, res: Response, response: ProblemResponse): void {
  const body: Problem = { ...response.problem, instance: req.originalUrl.split('?')[0], request_id: req.requestId };
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Express's last error handler: logs server-side failures by class and code, answers a problem. */
export function problemErrorHandler(log: Log, isDatabaseUnavailable?: (err: unknown) => boolean): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const response = toProblem(err, isDatabaseUnavailable);
    if (response.problem.status >= 500) {
      log.error({ err, request_id: req.requestId, method: req.method, route: req.routeTemplate }, 'request failed');
    } else if (err instanceof NotFound && err.audit) {
      // someone asked for an order that is not theirs: the same 404 as a missing one, but on record
      log.warn({ request_id: req.requestId, method: req.method, route: req.routeTemplate, user_id: req.actor?.userId, ...err.audit }, 'access refused');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(req, res, response);
  };
}
