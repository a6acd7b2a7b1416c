// Stand-in of the user service (Python/FastAPI, CONTRACTS.md §2/§4/§5): POST /auth/login issues tokens
// with the real claims (sub as a string, email, role, exp, iat, jti; no name); GET /auth/me answers
// with the token's user (blocked and suspended → 403, unknown user or bad token → 401); GET /health.
// Tests block, suspend, reactivate and remove users; a token keeps verifying after any of these.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import { startStandIn, type HealthSwitch, type Reply, type StandIn } from './server.js';

export type AccountStatus = 'active' | 'blocked' | 'suspended' | 'pending_verification';

export interface StandInUser {
  id: number;
  email: string;
  password: string;
  role: 'user' | 'admin';
  name?: string;
  status?: AccountStatus;
}

/** What GET /auth/me answers for an account (the user service's UserResponse). */
export interface UserProfile {
  id: number;
  name: string;
  email: string;
  mobile: string | null;
  role: 'user' | 'admin';
  status: AccountStatus;
  is_email_verified: boolean;
  created_at: string;
  last_login: string | null;
  blocked_at: string | null;
  blocked_reason: string | null;
}

export const DEFAULT_USERS: StandInUser[] = [
  { id: 1, email: 'shopper@example.com', password: 'shopper-password', role: 'user', name: 'Sam Shopper' },
  { id: 2, email: 'admin@example.com', password: 'admin-password', role: 'admin', name: 'Ada Admin' },
  { id: 3, email: 'blocked@example.com', password: 'blocked-password', role: 'user', name: 'Bo Blocked', status: 'blocked' },
];

/** The user service's own bodies, byte for byte (FastAPI: compact JSON, bare application/json). */
export const BLOCKED_DETAIL = 'Account is blocked. Contact administrator.';
const JSON_TYPE = { 'content-type': 'application/json' };
const unauthorized = (detail: string): Reply => ({ status: 401, json: { detail }, headers: { ...JSON_TYPE, 'www-authenticate': 'Bearer' } });

export function issueToken(secretKey: string, user: { id: number; email: string; role: string }, minutes = 30): string {
  // jsonwebtoken adds iat; exp from expiresIn: integer epoch seconds as the user service sends them
  return jwt.sign({ sub: String(user.id), email: user.email, role: user.role, jti: randomUUID() }, secretKey, {
    algorithm: 'HS256',
    expiresIn: minutes * 60,
  });
}

export interface UserStandIn extends StandIn, HealthSwitch {
  /** blocks, suspends or reactivates an account (an id never seen is registered with it) */
  setStatus(userId: number, status: AccountStatus, reason?: string): void;
  block(userId: number, reason?: string): void;
  /** the account is gone: /auth/me with its still valid tokens is 401 */
  removeUser(userId: number): void;
  profileOf(userId: number): UserProfile | undefined;
}

export async function startUserStandIn(opts: {
  secretKey: string;
  port?: number;
  users?: StandInUser[];
  /**
   * tests mint tokens for ids this stand-in never saw: with `open` (the default) such a token's
   * user counts as a registered, active account (from its claims) until a test removes it
   */
  open?: boolean;
}): Promise<UserStandIn> {
  const open = opts.open ?? true;
  const profiles = new Map<number, UserProfile>();
  const passwords = new Map<string, { id: number; password: string }>();
  const removed = new Set<number>();
  let health = 'healthy';

  const register = (u: { id: number; email: string; role: 'user' | 'admin'; name?: string; status?: AccountStatus }): UserProfile => {
    const profile: UserProfile = {
      id: u.id,
      name: u.name ?? u.email.split('@')[0]!,
      email: u.email,
      mobile: null,
      role: u.role,
      status: 'active',
      is_email_verified: true,
      created_at: '2026-01-01T00:00:00',
      last_login: null,
      blocked_at: null,
      blocked_reason: null,
    };
    profiles.set(u.id, profile);
    if (u.status && u.status !== 'active') setStatus(u.id, u.status);
    return profile;
  };

  function setStatus(userId: number, status: AccountStatus, reason?: string): void {
    removed.delete(userId);
    const p = profiles.get(userId) ?? register({ id: userId, email: `user${userId}@example.test`, role: 'user' });
    p.status = status;
    const blocked = status === 'blocked' || status === 'suspended';
    p.blocked_at = blocked ? new Date().toISOString().replace('Z', '') : null;
    p.blocked_reason = blocked ? (reason ?? null) : null;
  }

  for (const u of opts.users ?? DEFAULT_USERS) {
    register(u);
    passwords.set(u.email, { id: u.id, password: u.password });
  }

  /** The account a bearer token names, or the 401 the user service would send. */
  function accountOf(req: IncomingMessage): UserProfile | Reply {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return unauthorized('Not authenticated');
    let claims: { sub?: unknown; email?: unknown; role?: unknown };
    try {
      claims = jwt.verify(m[1]!, opts.secretKey, { algorithms: ['HS256'] }) as typeof claims;
    } catch {
      return unauthorized('Could not validate credentials');
    }
    const id = Number(claims.sub);
    if (typeof claims.sub !== 'string' || !Number.isSafeInteger(id)) return unauthorized('Could not validate credentials');
    const known = profiles.get(id);
    if (known) return known;
    if (!open || removed.has(id)) return unauthorized('Could not validate credentials');
    const email = typeof claims.email === 'string' && claims.email ? claims.email : `user${id}@example.test`;
    return register({ id, email, role: claims.role === 'admin' ? 'admin' : 'user' });
  }

  const refusedStatus = (p: UserProfile) => p.status === 'blocked' || p.status === 'suspended';

  const server = await startStandIn(
    (req, body, url) => {
      if (req.method === 'GET' && url.pathname === '/health') {
        return { status: 200, json: { status: health, service: 'user-service' }, headers: JSON_TYPE };
      }
      if (req.method === 'GET' && url.pathname === '/auth/me') {
        const account = accountOf(req);
        if (!('id' in account)) return account;
        if (refusedStatus(account)) return { status: 403, json: { detail: BLOCKED_DETAIL }, headers: JSON_TYPE };
        return { status: 200, json: account, headers: JSON_TYPE };
      }
      if (req.method === 'POST' && url.pathname === '/auth/login') {
        let creds: { email?: string; password?: string } = {};
        try {
          creds = JSON.parse(body || '{}');
        } catch {
          return { status: 422, json: { detail: 'Invalid JSON' }, headers: JSON_TYPE };
        }
        const entry = creds.email === undefined ? undefined : passwords.get(creds.email);
        const p = entry && entry.password === creds.password && !removed.has(entry.id) ? profiles.get(entry.id) : undefined;
        if (!p) return { status: 401, json: { detail: 'Incorrect email or password' }, headers: JSON_TYPE };
        if (refusedStatus(p)) return { status: 403, json: { detail: BLOCKED_DETAIL }, headers: JSON_TYPE };
        return { status: 200, json: { access_token: issueToken(opts.secretKey, p), token_type: 'bearer', expires_in: 1800 }, headers: JSON_TYPE };
      }
      return { status: 404, json: { detail: 'Not Found' }, headers: JSON_TYPE };
    },
    { port: opts.port, errorReply: { status: 500, json: { detail: 'Internal Server Error' }, headers: JSON_TYPE } },
  );
  return Object.assign(server, {
    setStatus,
    block: (userId: number, reason?: string) => setStatus(userId, 'blocked', reason),
    removeUser: (userId: number) => {
      profiles.delete(userId);
      removed.add(userId);
    },
    profileOf: (userId: number) => profiles.get(userId),
    setHealth: (status: string) => void (health = status),
  });
}
