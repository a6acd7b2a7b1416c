// Who may call and from where: the token key, the peers (and the account check at checkout),
// CORS origins, the public path prefix and the proxies whose forwarded headers count.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Config } from './types.js';
import { httpUrl, intText, oneOf, originList, pathPrefix, trustedProxyList, type Parsed } from './values.js';

/** The platform's own browser origin (CONTRACTS §3), allowed in production unless CORS_DEFAULT_ORIGINS replaces it. */
export const PRODUCTION_DEFAULT_ORIGINS = ['https://ecommerce-microservices-platform.vercel.app'] as const;
const DEFAULT_TRUSTED_PROXIES = ['loopback', 'linklocal', 'uniquelocal'];

export const accessVariables = {
  SECRET_KEY: z.string().optional(),
  ALGORITHM: z.string().trim().refine((v) => v === 'HS256', 'must be HS256 (the only algorithm the user service issues)').default('HS256'),
  ACCESS_TOKEN_EXPIRE_MINUTES: intText(1, 7 * 24 * 60).default(30),
  USER_SERVICE_URL: httpUrl.optional(),
  CART_SERVICE_URL: httpUrl.optional(),
  PRODUCT_SERVICE_URL: httpUrl.optional(),
  SEARCH_SERVICE_URL: httpUrl.optional(),
  PEER_TIMEOUT_MS: intText(50, 120000).default(3000),
  // at most a minute: that long a blocked shopper may still buy with a token checked before the block
  ACCOUNT_CHECK_CACHE_SECONDS: intText(0, 60).default(30),
  ACCOUNT_CHECK_WHEN_UNAVAILABLE: oneOf(['allow', 'refuse'], 'must be allow or refuse').default('allow'),
  CORS_ORIGINS: z.string().optional(),
  CORS_DEFAULT_ORIGINS: originList.optional(),
  PUBLIC_PATH_PREFIX: pathPrefix.optional(),
  TRUSTED_PROXIES: trustedProxyList.optional(),
};

type AccessSection = Pick<
  Config,
  'secretKey' | 'secretKeyGenerated' | 'algorithm' | 'accessTokenExpireMinutes' | 'peers' | 'peerTimeoutMs' | 'accountCheck' | 'cors' | 'publicPathPrefix' | 'trustedProxies'
>;

export function accessConfig(e: Parsed<typeof accessVariables>, production: boolean): AccessSection {
  const peers = {
    userServiceUrl: e.USER_SERVICE_URL,
    cartServiceUrl: e.CART_SERVICE_URL,
    productServiceUrl: e.PRODUCT_SERVICE_URL,
    searchServiceUrl: e.SEARCH_SERVICE_URL,
  };
  return {
    // Outside production a missing key becomes a random per-process key, never a well-known one:
    // a forgotten ENVIRONMENT=production must not let anyone mint admin tokens.
    secretKey: e.SECRET_KEY ?? randomBytes(32).toString('hex'),
    secretKeyGenerated: e.SECRET_KEY === undefined,
    algorithm: 'HS256',
    accessTokenExpireMinutes: e.ACCESS_TOKEN_EXPIRE_MINUTES,
    peers,
    peerTimeoutMs: e.PEER_TIMEOUT_MS,
    accountCheck: { cacheSeconds: e.ACCOUNT_CHECK_CACHE_SECONDS, whenUnavailable: e.ACCOUNT_CHECK_WHEN_UNAVAILABLE },
    cors: {
      origins: Object.freeze(allowedOrigins(peers, e.CORS_DEFAULT_ORIGINS ?? (production ? [...PRODUCTION_DEFAULT_ORIGINS] : []), e.CORS_ORIGINS)),
      allowLoopback: !production,
    },
    publicPathPrefix: e.PUBLIC_PATH_PREFIX,
    trustedProxies: e.TRUSTED_PROXIES ?? DEFAULT_TRUSTED_PROXIES,
  };
}

/** The peers' origins (they may call us from a browser context), the default list and CORS_ORIGINS, deduplicated. */
function allowedOrigins(peers: Config['peers'], defaults: string[], extra: string | undefined): string[] {
  const origins = new Set<string>();
  for (const url of Object.values(peers)) if (url) origins.add(new URL(url).origin);
  for (const origin of defaults) origins.add(origin);
  for (const item of (extra ?? '').split(',')) {
    const text = item.trim();
    if (!text) continue;
    try {
      origins.add(new URL(text).origin);
    } catch {
      origins.add(text.replace(/\/+$/, ''));
    }
  }
  return [...origins];
}
