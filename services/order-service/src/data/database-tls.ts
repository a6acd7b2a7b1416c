// How the service reaches PostgreSQL over TLS, read from DATABASE_URL by pg's own parser
// (pg-connection-string) plus DATABASE_CA_FILE. sslmode=prefer|require|verify-ca|verify-full all
// verify the certificate and the host name (node-postgres's reading, stricter than libpq's);
// libpq's encrypt-only meaning only with uselibpqcompat=true; sslmode=disable or none: no TLS.
import type { ConnectionOptions } from 'node:tls';
import { parse } from 'pg-connection-string';

export type DatabaseTlsMode = 'off' | 'verify-full' | 'verify-ca' | 'encrypt-only';

export interface DatabaseTls {
  /** the URL without its TLS and libpq-only parameters, for Sequelize */
  url: string;
  /** pg's `ssl` option; false: plain TCP */
  ssl: ConnectionOptions | false;
  mode: DatabaseTlsMode;
  /** where the trusted CAs come from */
  ca: 'sslrootcert' | 'DATABASE_CA_FILE' | 'system';
}

// Sequelize copies every query parameter into the driver options and parses the URL again with
// pg-connection-string, which would turn these back on: they are read here and removed.
const TLS_PARAMETERS = ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'sslnegotiation', 'uselibpqcompat'];
const LIBPQ_ONLY_PARAMETERS = ['channel_binding', 'options'];
// pg-connection-string 2.x reads these as verify-full; pinned so its 3.x (libpq semantics) cannot weaken them
const VERIFYING_MODES = new Set(['allow', 'prefer', 'require', 'verify-ca']);

export const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;

/** The TLS options of a postgresql:// URL; reads sslrootcert (or caFile) from disk. */
export function readDatabaseTls(databaseUrl: string, options: { caFile?: string } = {}): DatabaseTls {
  const source = new URL(databaseUrl);
  const params = source.searchParams;
  const libpq = params.get('uselibpqcompat') === 'true';
  const sslmode = params.get('sslmode');
  const asksForTls = (sslmode !== null && sslmode !== 'disable') || ['true', '1'].includes(params.get('ssl') ?? '');

  const forParse = new URL(source);
  if (!libpq && sslmode !== null && VERIFYING_MODES.has(sslmode)) forParse.searchParams.set('sslmode', 'verify-full');
  let ca: DatabaseTls['ca'] = params.has('sslrootcert') ? 'sslrootcert' : 'system';
  if (asksForTls && ca === 'system' && options.caFile) {
    // DATABASE_CA_FILE is the default sslrootcert, so libpq's "require with a root CA means verify-ca" holds too
    forParse.searchParams.set('sslrootcert', options.caFile);
    ca = 'DATABASE_CA_FILE';
  }
  const parsed = parse(forParse.toString());

  const stripped = new URL(source);
  for (const p of [...TLS_PARAMETERS, ...LIBPQ_ONLY_PARAMETERS]) stripped.searchParams.delete(p);

  if (!parsed.ssl) return { url: stripped.toString(), ssl: false, mode: 'off', ca: 'system' };
  const ssl: ConnectionOptions = {};
  if (typeof parsed.ssl === 'object') {
    const given = parsed.ssl as ConnectionOptions;
    for (const key of ['ca', 'cert', 'key', 'rejectUnauthorized', 'checkServerIdentity'] as const) {
      if (given[key] !== undefined && given[key] !== null) Object.assign(ssl, { [key]: given[key] });
    }
  }
  const mode: DatabaseTlsMode =
    ssl.rejectUnauthorized === false ? 'encrypt-only' : ssl.checkServerIdentity !== undefined ? 'verify-ca' : 'verify-full';
  return { url: stripped.toString(), ssl, mode, ca: ssl.rejectUnauthorized === false ? 'system' : ca };
}

/** Where the database is, for a log line: host:port, database, user and TLS mode; never the password. */
export function databaseTarget(databaseUrl: string, caFile?: string): Record<string, unknown> {
  const stripped = new URL(databaseUrl);
  for (const p of TLS_PARAMETERS) stripped.searchParams.delete(p);
  const { host, port, database, user } = parse(stripped.toString());
  let tls: string;
  try {
    const read = readDatabaseTls(databaseUrl, { caFile });
    tls = read.mode === 'off' || read.mode === 'encrypt-only' ? read.mode : `${read.mode} (CA: ${read.ca})`;
  } catch {
    tls = 'CA file unreadable';
  }
  return { address: `${host ?? ''}:${port || 5432}`, database, user, tls };
}
