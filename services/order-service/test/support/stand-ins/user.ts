// Stand-in of the user service (Python, CONTRACTS.md §2/§5): POST /auth/login issues tokens with the
// real claims (sub as a string, email, role, exp, iat, jti; no name); /health and /user/health.

import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startStandIn, type StandIn } from './server.js';

export interface StandInUser {
  id: number;
  email: string;
  password: string;
  role: 'user' | 'admin';
}

export const DEFAULT_USERS: StandInUser[] = [
  { id: 1, email: 'shopper@example.com', password: 'shopper-password', role: 'user' },
  { id: 2, email: 'admin@example.com', password: 'admin-password', role: 'admin' },
];

export function issueToken(secretKey: string, user: { id: number; email: string; role: string }, minutes = 30): string {
  // jsonwebtoken adds iat; exp from expiresIn: integer epoch seconds as the user service sends them
  return jwt.sign({ sub: String(user.id), email: user.email, role: user.role, jti: randomUUID() }, secretKey, {
    algorithm: 'HS256',
    expiresIn: minutes * 60,
  });
}

export async function startUserStandIn(opts: { secretKey: string; port?: number; users?: StandInUser[] }): Promise<StandIn> {
  const users = opts.users ?? DEFAULT_USERS;
  return startStandIn(
    (req, body, url) => {
      if (req.method === 'GET' && (url.pathname === '/health' || url.pathname === '/user/health')) {
        return { status: 200, json: { status: 'healthy', service: 'user-service' } };
      }
      if (req.method === 'POST' && url.pathname === '/auth/login') {
        let creds: { email?: string; password?: string } = {};
        try {
          creds = JSON.parse(body || '{}');
        } catch {
          return { status: 422, json: { detail: 'Invalid JSON' } };
        }
        const u = users.find((x) => x.email === creds.email && x.password === creds.password);
        if (!u) return { status: 401, json: { detail: 'Incorrect email or password' } };
        return { status: 200, json: { access_token: issueToken(opts.secretKey, u), token_type: 'bearer', expires_in: 1800 } };
      }
      return { status: 404, json: { detail: 'Not Found' } };
    },
    { port: opts.port, errorReply: { status: 500, json: { detail: 'Internal Server Error' } } },
  );
}
