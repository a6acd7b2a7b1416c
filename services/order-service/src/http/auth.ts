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
  // Tokens verified before, by their exact Authorization header: a storefront session presents the
  // same token on every call, and the signature check, two base64 decodes and two JSON parses gave
  // the same claims the first time. Still checked on every use: `exp`, with jsonwebtoken's own rule
  // (expired once the whole second reaches it); `nbf` had passed already and time only moves on.
  const verified = new Map<string, { claims: Readonly<Record<string, unknown>>; exp: number | undefined }>();
  return (req, res, next) => {
    if (!hasAuthorizationHeader(req)) {
      next();
      return;
    }
    const header = req.headers.authorization!;
    const known = verified.get(header);
    if (known) {
      if (known.exp === undefined || Math.floor(Date.now() / 1000) < known.exp) {
        (req as Request & { auth?: unknown }).auth = known.claims;
        next();
        return;
      }
      verified.delete(header); // expired: jsonwebtoken says so, with its own error
    }
    void verify(req, res, (err?: unknown) => {
      const claims = (req as Request & { auth?: Record<string, unknown> }).auth;
      if (err) req.tokenFailure = err instanceof Error ? err : new Error('token rejected');
      else if (claims && (claims.exp === undefined || typeof claims.exp === 'number')) {
        if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!); // the oldest
        verified.set(header, { claims: Object.freeze(claims), exp: claims.exp as number | undefined });
      }
      next();
    });
  };
}

/** How many verified tokens are remembered (about 1 kB each): more than a replica's active sessions. */
const VERIFIED_TOKENS_KEPT = 10_000;

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
