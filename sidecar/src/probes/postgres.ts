// Probes PostgreSQL (Neon in production, through its transaction-mode pooler) with one query on a
// fresh connection: no session state, no prepared statement, TLS read from the URL as node-postgres
// reads it.

import './navigator.js'; // before pg: see navigator.ts
import pg from 'pg';
import { parse, type ConnectionOptions } from 'pg-connection-string';
import { sqlstateName } from './sqlstate.js';
import { reasonOf, tlsReasonOf, withTimeout, type ProbeOutcome } from './types.js';

// a simple-protocol query (no parameters): no Parse message, so no prepared statement of any name
const PROBE_SQL = "SELECT current_setting('server_version') AS version, current_database() AS database";

/** pg-connection-string's reading of the URL; the CA file stands in for a missing sslrootcert (it replaces the system CAs, as sslrootcert does), only where the URL asks for TLS. */
export function clientConfigOf(given: string, caFile: string | null): ConnectionOptions {
  const url = pinVerifyFull(given);
  const plain = () => parse(url);
  let named: boolean;
  try {
    named = new URL(url).searchParams.has('sslrootcert');
  } catch {
    return plain(); // not a URL the WHATWG parser takes (a socket path): pg-connection-string's reading alone
  }
  if (!caFile || named) return plain();
  let wantsTls: boolean;
  try {
    wantsTls = Boolean(plain().ssl);
  } catch {
    wantsTls = true; // libpq's verify-ca without a root certificate: the CA file is what it asks for
  }
  if (!wantsTls) return plain();
  const withCa = new URL(url);
  withCa.searchParams.set('sslrootcert', caFile);
  return parse(withCa.toString());
}

/**
 * prefer/require/verify-ca as verify-full, spelt out: node-postgres's reading today (the service pins
 * the same), kept if pg-connection-string moves to libpq's, and without its warning on every probe.
 */
function pinVerifyFull(url: string): string {
  try {
    const parsed = new URL(url);
    const mode = parsed.searchParams.get('sslmode');
    if (parsed.searchParams.get('uselibpqcompat') === 'true' || !mode || !['prefer', 'require', 'verify-ca'].includes(mode)) return url;
    parsed.searchParams.set('sslmode', 'verify-full');
    return parsed.toString();
  } catch {
    return url;
  }
}

/** What a log reader needs to know of a failure: SQLSTATE and its name, TLS reason, where. */
function causeOf(err: unknown, where: { host: string | null; port: string | null; database: string | null }): Record<string, string> {
  const cause: Record<string, string> = {};
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && sqlstateName(code)) {
    cause.sqlstate = code;
    cause.sqlstate_name = sqlstateName(code)!;
  } else if (typeof code === 'string') {
    cause.code = code;
  }
  const tls = tlsReasonOf(err);
  if (tls) cause.tls = tls;
  cause.target = `${where.host ?? 'localhost'}:${where.port || '5432'}`;
  if (where.database) cause.database = where.database;
  return cause;
}

export async function probePostgres(url: string, timeoutMs: number, caFile: string | null = null): Promise<ProbeOutcome> {
  const started = performance.now();
  let config: ConnectionOptions;
  try {
    config = clientConfigOf(url, caFile);
  } catch (err) {
    // an unreadable sslrootcert, libpq's verify-ca without one: the TLS set-up itself failed
    const e = err as NodeJS.ErrnoException;
    const tls = e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || /ssl|SECURITY WARNING/i.test(e.message);
    return { status: 'failed', reason: tls ? 'tls' : 'protocol', responseTimeMs: null, error: String(e.message), ...(e.code ? { cause: { code: e.code } } : {}) };
  }
  const client = new pg.Client({
    ...(config as pg.ClientConfig),
    port: config.port ? Number(config.port) : undefined,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined); // a dropped connection is reported through the probe
  try {
    const result = await withTimeout(
      (async () => {
        await client.connect();
        return client.query<{ version: string; database: string }>(PROBE_SQL);
      })(),
      timeoutMs,
    );
    const row = result.rows[0]!;
    return { status: 'connected', reason: null, responseTimeMs: performance.now() - started, details: { version: row.version, database: row.database } };
  } catch (err) {
    const reason = reasonOf(err);
    const cause = causeOf(err, { host: config.host, port: config.port ?? null, database: config.database ?? null });
    const named = cause.sqlstate ? `${cause.sqlstate} ${cause.sqlstate_name}: ` : cause.code ? `${cause.code}: ` : '';
    return {
      status: reason === 'timeout' ? 'timeout' : 'failed',
      reason,
      responseTimeMs: performance.now() - started,
      error: `${named}${String((err as Error).message)} (${cause.target}${cause.database ? `, database ${cause.database}` : ''})`,
      cause,
    };
  } finally {
    void client.end().catch(() => undefined);
  }
}
