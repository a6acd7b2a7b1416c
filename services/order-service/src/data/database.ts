// The Sequelize instance over pg (its pool, transactions and bound queries; the SQL is our own): pool sized for the pod, TLS when the URL asks for it, no SQL in logs.

import { Sequelize } from 'sequelize';
import { readDatabaseTls } from './database-tls.js';

export interface DatabaseOptions {
  /** postgresql:// or postgres:// (config.ts normalises the old postgresql+asyncpg:// form) */
  url: string;
  /** DATABASE_CA_FILE: the CA bundle when the URL names no sslrootcert (system CAs otherwise) */
  caFile?: string;
  poolMax?: number;
  /** connection attempt bound, so an outage answers quickly instead of hanging */
  connectTimeoutMs?: number;
  log?: { debug(obj: object, msg?: string): void };
}

export type Database = Sequelize;

export function createDatabase(options: DatabaseOptions): Database {
  // Sequelize copies query parameters into the driver options: the TLS ones are read and removed there
  const tls = readDatabaseTls(options.url, { caFile: options.caFile });

  const sequelize = new Sequelize(tls.url, {
    dialect: 'postgres',
    logging: false, // statements carry customer data: never logged
    benchmark: false,
    pool: { max: options.poolMax ?? 10, min: 0, idle: 10_000, acquire: 10_000, evict: 5_000 },
    dialectOptions: {
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      ...(tls.ssl ? { ssl: tls.ssl } : {}),
    },
    define: { underscored: true, timestamps: false, freezeTableName: true },
  });
  return sequelize;
}

/** Numeric value of a BIGINT column (pg returns them as strings). */
export function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('integer column out of range');
  return n;
}

// What "the database is not there right now" looks like through Sequelize and pg: no connection to
// be had (refused, timed out, pool exhausted), or the server ending ours (shutdown, restart, crash).
const UNAVAILABLE_NAMES = /^Sequelize(Connection\w*|HostNot\w*|InvalidConnection)Error$/;
const UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES = /Connection terminated|not queryable|connection is closed|Connection ended/i;

/** True when err (or what it wraps) says PostgreSQL cannot be reached, not that a statement failed. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (typeof name === 'string' && UNAVAILABLE_NAMES.test(name)) return true;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    const next = e as { parent?: unknown; original?: unknown; cause?: unknown };
    e = next.parent ?? next.original ?? next.cause;
  }
  return false;
}
