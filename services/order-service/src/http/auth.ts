// Bearer tokens of the user service (CONTRACTS.md §2): express-jwt verifies the signature (HS256 only)
// on every request without failing it; the OpenAPI security handler then decides, per operation,
// whether a verified identity is required. Every failure is a 401 with WWW-Authenticate, never a 500.
import { createSecretKey } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { expressjwt } from 'express-jwt';
import type { Actor } from '../orders/ports.js';
import { HttpProblem } from './problem.js';

export interface TokenSettings {
  secretKey: string;
  algorithm: 'HS256';
}

interface Claims {
  sub?: unknown;
  email?: unknown;
  role?: unknown;
}

/** Verifies a presented bearer token and leaves the claims on req.auth, or the failure on req.tokenFailure. */
export function readBearerToken(settings: TokenSettings): RequestHandler {
  const verify = expressjwt({
    // a KeyObject made once: given a string, jsonwebtoken first tries to parse it as a PEM public key
    // (an exception per request) and then builds a secret key, on every verification
    secret: createSecretKey(Buffer.from(settings.secretKey, 'utf8')),
    algorithms: [settings.algorithm],
    credentialsRequired: false,
    requestProperty: 'auth',
  });
  return (req, res, next) => {
    if (!hasAuthorizationHeader(req)) {
      next();
      return;
    }
    void verify(req, res, (err?: unknown) => {
      if (err) req.tokenFailure = err instanceof Error ? err : new Error('token rejected');
      next();
    });
  };
}

export function hasAuthorizationHeader(req: Request): boolean {
  const value = req.headers.authorization;
  return typeof value === 'string' && value.trim() !== '';
}

const NUMERIC_ID = /^[1-9]\d{0,15}$/;

/**
 * The caller's identity from a verified token, or a 401 problem saying why not. The token is the
 * identity: nobody else is asked.
 */
export function identify(req: Request): Actor {
  if (!hasAuthorizationHeader(req)) {
    throw unauthorized('A bearer token is required', false);
  }
  if (req.tokenFailure) {
    const expired = (req.tokenFailure as { inner?: { name?: string } }).inner?.name === 'TokenExpiredError';
    throw unauthorized(expired ? 'The bearer token has expired' : 'The bearer token is invalid', true);
  }
  const claims = (req as Request & { auth?: Claims }).auth;
  if (!claims) {
    // a header that is not "Bearer <token>" (express-jwt ignores other schemes)
    throw unauthorized("The Authorization header must be 'Bearer <token>'", true);
  }
  const { sub, email, role } = claims;
  if (typeof sub !== 'string' || !NUMERIC_ID.test(sub) || !Number.isSafeInteger(Number(sub))) {
    throw unauthorized('The bearer token has no numeric subject', true);
  }
  if (role !== 'user' && role !== 'admin') {
    throw unauthorized('The bearer token has no valid role', true);
  }
  if (typeof email !== 'string' || email.trim() === '' || email.length > 320) {
    throw unauthorized('The bearer token has no email', true);
  }
  return { userId: Number(sub), email, role };
}

function unauthorized(detail: string, tokenPresented: boolean): HttpProblem {
  const challenge = tokenPresented
    ? `Bearer realm="orders", error="invalid_token", error_description="${detail.replace(/"/g, "'")}"`
    : 'Bearer realm="orders"';
  return new HttpProblem(401, 'unauthorized', detail, {}, { 'WWW-Authenticate': challenge });
}
