// The shapes a variable's text may take (numbers, booleans, URLs, origin lists, CA files), each
// refusing a bad value with a message that never repeats the value.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { SSLMODES } from '../data/database-tls.js';
import { isSafePrefix } from '../http/public-path.js';

export const boolText = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

export const intText = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const decimalText = z
  .string()
  .trim()
  .regex(/^\d+(\.\d{1,2})?$/, 'must be a decimal amount like 10.00');

export const rateText = z
  .string()
  .trim()
  .regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'must be a rate between 0 and 1 like 0.10');

export const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL')
  .transform((v) => v.replace(/\/+$/, ''));

// "none" replaces the built-in list with nothing (an empty variable counts as unset, so it cannot)
export const originList = z
  .string()
  .trim()
  .transform((v) => (v.toLowerCase() === 'none' ? [] : v.split(',').map((item) => item.trim()).filter(Boolean)))
  .superRefine((items, ctx) => {
    for (const item of items) {
      let url: URL | undefined;
      try {
        url = new URL(item);
      } catch {
        url = undefined;
      }
      const bare = url && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
      if (!url || !bare || !['http:', 'https:'].includes(url.protocol)) {
        ctx.addIssue({ code: 'custom', message: 'must be none or comma-separated origins like https://shop.example' });
        return;
      }
    }
  })
  .transform((items) => items.map((item) => new URL(item).origin));

export const pathPrefix = z
  .string()
  .trim()
  .refine(isSafePrefix, 'must start with /, not end with /, and use only letters, digits and . _ ~ - (e.g. /order)');

export const trustedProxyList = z
  .string()
  .trim()
  .transform((v) => v.split(',').map((item) => item.trim()).filter(Boolean))
  .refine((items) => items.length > 0 && items.every(isProxyAddress), 'must be loopback, linklocal, uniquelocal, IP addresses or CIDRs, comma-separated');

function isProxyAddress(item: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) return true;
  const [address = '', bits, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** Why a CA bundle cannot be used (errno or content), or undefined; never the path or the content. */
function caFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    new X509Certificate(text);
  } catch {
    return 'holds no PEM certificate';
  }
  return undefined;
}

// a CA bundle is read at start-up, so a missing mount stops the pod instead of failing every connection
export const caFile = z
  .string()
  .trim()
  .superRefine((path, ctx) => {
    const problem = caFileProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const postgresUrl = z
  .string()
  .trim()
  .refine((v) => /^(postgres|postgresql|postgresql\+asyncpg):\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
  .transform(normaliseDatabaseUrl)
  .superRefine((url, ctx) => {
    const params = new URL(url).searchParams;
    const sslmode = params.get('sslmode');
    if (sslmode !== null && !(SSLMODES as readonly string[]).includes(sslmode)) {
      ctx.addIssue({ code: 'custom', message: `sslmode must be one of ${SSLMODES.join(', ')}` });
    }
    const rootcert = params.get('sslrootcert');
    const problem = rootcert === null ? undefined : caFileProblem(rootcert);
    if (problem) ctx.addIssue({ code: 'custom', message: `sslrootcert ${problem}` });
  });

export const redisUrl = z
  .string()
  .trim()
  .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');

/** postgresql+asyncpg://…?ssl=require (the old Python form) → postgresql://…?sslmode=require */
export function normaliseDatabaseUrl(url: string): string {
  const text = url.replace(/^postgresql\+asyncpg:\/\//, 'postgresql://');
  const parsed = new URL(text);
  const ssl = parsed.searchParams.get('ssl');
  if (ssl !== null && !parsed.searchParams.has('sslmode')) {
    parsed.searchParams.delete('ssl');
    const word = ssl.toLowerCase();
    parsed.searchParams.set('sslmode', ['true', 'require', '1'].includes(word) ? 'require' : ['false', '0'].includes(word) ? 'disable' : ssl);
    return parsed.toString();
  }
  return text;
}

/** A variable set to one of the words boolText reads as true (for the checks made before parsing). */
export function saysTrue(value: string | undefined): boolean {
  return ['true', '1', 'yes', 'on'].includes((value ?? '').trim().toLowerCase());
}

/** An enumerated word, case-insensitive, refused with the list of words it may be. */
export function oneOf<const T extends readonly [string, ...string[]]>(words: T, error: string) {
  return z.string().trim().toLowerCase().pipe(z.enum(words, { error }));
}

/** What a section's variables parse to. */
export type Parsed<T extends z.ZodRawShape> = z.infer<z.ZodObject<T>>;
