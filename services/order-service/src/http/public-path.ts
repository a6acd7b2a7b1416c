// The path prefix clients see in front of the service's own paths (the gateway strips /order): from
// X-Forwarded-Prefix when a trusted proxy sent it, else PUBLIC_PATH_PREFIX, else none. Location,
// Link, Swagger UI and the served document's servers are built with it.
import type { Request, RequestHandler } from 'express';

/** `/a` or `/a/b`: no trailing slash, unreserved characters only, no `.` or `..` segment. */
export function isSafePrefix(prefix: string): boolean {
  return /^(\/[A-Za-z0-9._~-]+)+$/.test(prefix) && !prefix.split('/').some((segment) => segment === '.' || segment === '..');
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** the public prefix for this request ('' when none); set by publicPrefix() */
      publicPrefix?: string;
    }
  }
}

/**
 * Works out req.publicPrefix once per request. The header counts only when the peer that sent it is
 * a trusted proxy (the app's `trust proxy` setting): from anyone else it would let a client choose
 * where our Location headers point.
 */
export function publicPrefix(configured: string | undefined): RequestHandler {
  return (req, _res, next) => {
    req.publicPrefix = forwardedPrefix(req) ?? configured ?? '';
    next();
  };
}

function forwardedPrefix(req: Request): string | undefined {
  const header = req.headers['x-forwarded-prefix'];
  if (typeof header !== 'string') return undefined;
  const trusted = req.app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  if (!req.socket.remoteAddress || !trusted(req.socket.remoteAddress, 0)) return undefined;
  const prefix = header.trim().replace(/\/+$/, '');
  // "/" from a trusted proxy says "no prefix"; anything unsafe (several values, odd characters) is ignored
  if (prefix === '') return header.trim() === '' ? undefined : '';
  return isSafePrefix(prefix) ? prefix : undefined;
}

/** A path as the client must request it: the request's public prefix in front of the service's path. */
export function publicPath(req: Request, path: string): string {
  return `${req.publicPrefix ?? ''}${path}`;
}
