// The Sequelize instance over pg (its pool, transactions and bound queries; the SQL is our own): pool sized for the pod, TLS when the URL asks for it, no SQL in logs.

import pg from 'pg';
import { Sequelize } from 'sequelize';
import { readDatabaseTls } from './database-tls.js';
import { traceQueries } from './query-spans.js';

export interface DatabaseOptions {
  /** postgresql:// or postgres:// (config.ts normalises the old postgresql+asyncpg:// form) */
  url: string;
  /** DATABASE_CA_FILE: the CA bundle when the URL names no sslrootcert (system CAs otherwise) */
  caFile?: string;
  poolMax?: number;
  /** connection attempt bound, so an outage answers quickly instead of hanging */
  connectTimeoutMs?: number;
  /**
   * every query's bound on the client side, through any pooler (PgBouncer queues a query while it
   * cannot log in to the server): the connection is dropped and the caller gets a 503
   */
  queryTimeoutMs?: number;
  log?: { debug(obj: object, msg?: string): void };
  /** a span per statement and transaction (only while spans are exported: no wrapper otherwise) */
  traced?: boolean;
}

export type Database = Sequelize;

/**
 * pg's Client, except that a statement past its deadline closes the connection: pg answers the
 * caller but keeps the connection waiting for that statement (in the server, or queued in a pooler
 * that cannot log in), and Sequelize drops such a connection only once it is released, so a
 * transaction's ROLLBACK would first wait out a second deadline behind it. Closed, the ROLLBACK
 * fails at once and the server rolls the transaction back.
 */
class DeadlineClient extends pg.Client {
  override query(...args: unknown[]): never {
    const at = args.findLastIndex((a) => typeof a === 'function');
    if (at >= 0) {
      const callback = args[at] as (err: Error | null, ...rest: unknown[]) => void;
      args[at] = (err: Error | null, ...rest: unknown[]) => {
        if (err?.message === 'Query read timeout') this.connection.stream.destroy();
        callback(err, ...rest);
      };
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

// Sequelize takes the driver whole: pg itself, with the Client above
const driver = Object.create(pg, { Client: { value: DeadlineClient } }) as typeof pg;

// what each database was built with, for the adapters that size themselves by the pool
const poolSizes = new WeakMap<Database, number>();

/** The pool size the database was created with (Sequelize's own default, 5, for one made elsewhere). */
export function poolSizeOf(db: Database): number {
  return poolSizes.get(db) ?? 5;
}

export function createDatabase(options: DatabaseOptions): Database {
  // Sequelize copies query parameters into the driver options: the TLS ones are read and removed there
  const tls = readDatabaseTls(options.url, { caFile: options.caFile });

  const sequelize = new Sequelize(tls.url, {
    dialect: 'postgres',
    dialectModule: driver,
    logging: false, // statements carry customer data: never logged
    benchmark: false,
    // waiting for a free connection is bounded like a query
    pool: { max: options.poolMax ?? 10, min: 0, idle: 10_000, acquire: options.queryTimeoutMs ?? 5_000, evict: 5_000 },
    dialectOptions: {
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      // client-side only: server-side settings in the startup packet are refused or lost by poolers
      query_timeout: options.queryTimeoutMs ?? 5_000,
      keepAlive: true,
      ...(tls.ssl ? { ssl: tls.ssl } : {}),
    },
    define: { underscored: true, timestamps: false, freezeTableName: true },
  });
  poolSizes.set(sequelize, options.poolMax ?? 10);
  if (options.traced) {
    const url = new URL(options.url);
    traceQueries(sequelize, { database: decodeURIComponent(url.pathname.slice(1)), host: url.hostname, port: Number(url.port || 5432) });
  }
  return sequelize;
}

/** Numeric value of a BIGINT column (pg returns them as strings). */
export function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('integer column out of range');
  return n;
}

// What "the database is not there right now" looks like through Sequelize, pg and a pooler: no
// connection to be had (refused, timed out, pool exhausted, TLS refused), the server or the pooler
// ending ours (shutdown, restart, crash; PgBouncer's 08P01 "server login has been failing"), or a
// query past its deadline.
const UNAVAILABLE_NAMES = /^Sequelize(Connection\w*|HostNot\w*|InvalidConnection)Error$/;
const UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
  '08000', '08001', '08003', '08004', '08006', '08P01', // connection exceptions; PgBouncer answers 08P01
  '57014', // query_canceled: statement_timeout on a stalled server
  '55P03', // lock_not_available: lock_timeout
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES = /Connection terminated|not queryable|connection is closed|Connection ended|Query read timeout|timeout exceeded when trying to connect/i;
// a certificate or handshake refused: configuration, but to a client the database is not there
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

/** True when err (or what it wraps) says PostgreSQL cannot be reached, not that a statement failed. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (typeof name === 'string' && UNAVAILABLE_NAMES.test(name)) return true;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || TLS_CODE.test(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    const next = e as { parent?: unknown; original?: unknown; cause?: unknown };
    e = next.parent ?? next.original ?? next.cause;
  }
  return false;
}

/** The SQLSTATE of a pg error, also through Sequelize's wrapper. */
export function codeOf(err: unknown): string | undefined {
  const e = err as { parent?: { code?: unknown }; original?: { code?: unknown }; code?: unknown } | null;
  const code = e?.parent?.code ?? e?.original?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}
