// PostgreSQL and Redis: where they are, which CA they are trusted with, the pool and its deadlines.
import { z } from 'zod';
import type { Config } from './types.js';
import { boolText, caFile, intText, postgresUrl, redisUrl, type Parsed } from './values.js';

const DEVELOPMENT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/orders';

export const storageVariables = {
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_CA_FILE: caFile.optional(),
  REDIS_URL: redisUrl.optional(),
  REDIS_CA_FILE: caFile.optional(),
  CACHE_PREFIX: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be a plain key prefix').default('orders:cache'),
  DB_POOL_MAX: intText(1, 1000).default(10),
  DB_QUERY_TIMEOUT_MS: intText(100, 600000).default(5000),
  DATABASE_SINGLE_SESSION: boolText.default(false),
};

type StorageEnv = Parsed<typeof storageVariables>;

/** What the variables cannot say one by one: a database URL whose TLS settings do not fit together. */
export function storageProblems(e: StorageEnv): string[] {
  const params = new URL(e.DATABASE_URL ?? DEVELOPMENT_DATABASE_URL).searchParams;
  // libpq's verify-ca without a CA would trust any certificate a public CA signed for anyone
  if (params.get('uselibpqcompat') === 'true' && params.get('sslmode') === 'verify-ca' && !params.has('sslrootcert') && !e.DATABASE_CA_FILE) {
    return ['DATABASE_URL sslmode=verify-ca with uselibpqcompat=true needs sslrootcert or DATABASE_CA_FILE'];
  }
  return [];
}

export function storageConfig(e: StorageEnv): Pick<Config, 'databaseUrl' | 'databaseCaFile' | 'redisUrl' | 'redisCaFile' | 'cachePrefix' | 'dbPoolMax' | 'dbQueryTimeoutMs' | 'dbSingleSession'> {
  return {
    databaseUrl: e.DATABASE_URL ?? DEVELOPMENT_DATABASE_URL,
    databaseCaFile: e.DATABASE_CA_FILE,
    redisUrl: e.REDIS_URL,
    redisCaFile: e.REDIS_CA_FILE,
    cachePrefix: e.CACHE_PREFIX,
    dbPoolMax: e.DB_POOL_MAX,
    dbQueryTimeoutMs: e.DB_QUERY_TIMEOUT_MS,
    dbSingleSession: e.DATABASE_SINGLE_SESSION,
  };
}
