// Tokens for tests and tools, signed with jose: a different JWT implementation than the service's
// jsonwebtoken, so a test passes only when both agree on CONTRACTS.md §2. Also the bad tokens
// every auth test needs (expired, wrong key, alg none, HS512, RS256, missing/non-numeric sub).
import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT, generateKeyPair, type JWTPayload } from 'jose';

export interface TokenClaims {
  sub?: string;
  email?: string;
  role?: string;
  [claim: string]: unknown;
}

export interface Tokens {
  /** a valid HS256 token for the user with this numeric id */
  user(userId: number, email?: string): Promise<string>;
  /** a valid HS256 admin token */
  admin(userId?: number, email?: string): Promise<string>;
  /** a valid HS256 token with exactly these claims (sub/email/role may be left out) */
  sign(claims: TokenClaims, options?: { expiresInSeconds?: number; issuedAt?: number; notBefore?: number }): Promise<string>;
  bad: {
    expired(): Promise<string>;
    wrongKey(): Promise<string>;
    algNone(): Promise<string>;
    hs512(): Promise<string>;
    rs256(): Promise<string>;
    missingSub(): Promise<string>;
    nonNumericSub(): Promise<string>;
    notYetValid(): Promise<string>;
  };
}

export function createTokens(secretKey: string, lifetimeMinutes = 30): Tokens {
  const key = new TextEncoder().encode(secretKey);

  const build = (claims: TokenClaims, options: { expiresInSeconds?: number; issuedAt?: number; notBefore?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { ...claims, jti: randomUUID() };
    const jwt = new SignJWT(payload)
      .setIssuedAt(options.issuedAt ?? now)
      .setExpirationTime((options.issuedAt ?? now) + (options.expiresInSeconds ?? lifetimeMinutes * 60));
    if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
    return jwt;
  };

  const sign = (claims: TokenClaims, options?: { expiresInSeconds?: number; issuedAt?: number; notBefore?: number }) =>
    build(claims, options).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);

  const user = (userId: number, email = `shopper${userId}@example.test`) => sign({ sub: String(userId), email, role: 'user' });
  const admin = (userId = 1, email = `admin${userId}@example.test`) => sign({ sub: String(userId), email, role: 'admin' });

  return {
    user,
    admin,
    sign,
    bad: {
      expired: () => {
        const past = Math.floor(Date.now() / 1000) - 3600;
        return sign({ sub: '7', email: 'late@example.test', role: 'user' }, { issuedAt: past, expiresInSeconds: 60 });
      },
      wrongKey: () =>
        build({ sub: '7', email: 'forger@example.test', role: 'admin' })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .sign(new TextEncoder().encode(`${secretKey}-but-not-quite`)),
      algNone: async () => {
        const now = Math.floor(Date.now() / 1000);
        return new UnsecuredJWT({ sub: '7', email: 'none@example.test', role: 'admin', jti: randomUUID() })
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .encode();
      },
      // the right key, the wrong algorithm: only HS256 is accepted
      hs512: () => build({ sub: '7', email: 'hs512@example.test', role: 'user' }).setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).sign(key),
      rs256: async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return build({ sub: '7', email: 'rsa@example.test', role: 'admin' }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
      },
      missingSub: () => sign({ email: 'nobody@example.test', role: 'user' }),
      nonNumericSub: () => sign({ sub: 'alice', email: 'alice@example.test', role: 'user' }),
      notYetValid: () => sign({ sub: '7', email: 'early@example.test', role: 'user' }, { notBefore: Math.floor(Date.now() / 1000) + 3600 }),
    },
  };
}
