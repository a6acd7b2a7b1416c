// Why an operation failed, for a log line: the SQLSTATE and its condition name, the TLS reason,
// the errno and address, found anywhere in the chain Sequelize and ioredis wrap around the driver's
// error. Text is kept only where it names a connection-level cause; never a password.
import { createRequire } from 'node:module';

// pg-error-codes: PostgreSQL's errcodes.txt as a JSON map from SQLSTATE to condition name
const SQLSTATE_NAMES = createRequire(import.meta.url)('pg-error-codes') as Record<string, string>;

export interface ErrorCause {
  /** one line for people, e.g. "SQLSTATE 28P01 invalid_password: password authentication failed for user \"orders\"" */
  why: string;
  sqlstate?: string;
  condition?: string;
  /** Node's TLS / OpenSSL reason code, e.g. SELF_SIGNED_CERT_IN_CHAIN */
  tls?: string;
  /** a system error code, e.g. ECONNREFUSED */
  errno?: string;
  /** host:port of a system error */
  address?: string;
  /** the first word of a Redis error reply, e.g. WRONGPASS */
  redis?: string;
}

// OpenSSL's verify results as Node names them, and Node's own TLS/SSL error codes
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|SELF_SIGNED|^UNABLE_TO_|^INVALID_CA$|^PATH_LENGTH_EXCEEDED$|^INVALID_PURPOSE$|^HOSTNAME_MISMATCH$/;
const ERRNO_CODE = /^E[A-Z][A-Z_]+$/;
// SQLSTATE classes whose server messages name users, databases or states, never row values
const SAFE_TEXT_CLASSES = new Set(['08', '28', '3D', '53', '57', '58']);
// the driver's own connection messages (pg, ioredis), which quote no data
const CONNECTION_TEXT = /connection|terminated|timeout|timed out|\bSSL\b|\bTLS\b|certificate|closed|ended|socket|server|handshake/i;
const REDIS_REPLY_WORD = /^(WRONGPASS|NOAUTH|NOPERM|LOADING|MASTERDOWN|READONLY|OOM|BUSY|MISCONF|CLUSTERDOWN)\b/;

/** The SQLSTATE's condition name (errcodes.txt), or its class's name for a code newer than the table. */
export function sqlstateName(code: string): string | undefined {
  return SQLSTATE_NAMES[code] ?? SQLSTATE_NAMES[`${code.slice(0, 2)}000`];
}

/** A URL's password (and any userinfo secret in free text) replaced with ***. */
export function maskSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@\s]*@/gi, '$1***@');
}

/** The innermost cause of err that says why, or undefined when nothing in the chain does. */
export function describeCause(err: unknown): ErrorCause | undefined {
  const chain = unwrap(err);
  for (const e of chain.reverse()) {
    const found = classify(e);
    if (found) return found;
  }
  return undefined;
}

function unwrap(err: unknown): Array<Record<string, unknown>> {
  const chain: Array<Record<string, unknown>> = [];
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e !== null && typeof e === 'object' && !chain.includes(e as Record<string, unknown>); depth++) {
    const current = e as Record<string, unknown>;
    chain.push(current);
    const errors = current.errors;
    // Node's AggregateError (every address of a name refused) and Sequelize's wrappers
    e = current.parent ?? current.original ?? current.cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return chain;
}

function classify(e: Record<string, unknown>): ErrorCause | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? maskSecrets(e.message).slice(0, 300) : '';
  if (code && TLS_CODE.test(code)) {
    return { why: `TLS ${code}${message ? `: ${message}` : ''}`, tls: code };
  }
  if (code && (SQLSTATE_NAMES[code] !== undefined || (/^[0-9A-Z]{5}$/.test(code) && /\d/.test(code)))) {
    const condition = sqlstateName(code);
    const text = SAFE_TEXT_CLASSES.has(code.slice(0, 2)) && message ? `: ${message}` : '';
    return { why: `SQLSTATE ${code}${condition ? ` ${condition}` : ''}${text}`, sqlstate: code, ...(condition ? { condition } : {}) };
  }
  if (code && ERRNO_CODE.test(code)) {
    const address = typeof e.address === 'string' ? `${e.address}${e.port !== undefined ? `:${String(e.port)}` : ''}` : undefined;
    const host = typeof e.hostname === 'string' ? e.hostname : undefined;
    return {
      why: `${code}${address ? ` ${address}` : host ? ` ${host}` : ''}`,
      errno: code,
      ...(address ? { address } : {}),
    };
  }
  const word = REDIS_REPLY_WORD.exec(message)?.[1];
  if (word) return { why: `Redis ${word}`, redis: word };
  if (!code && message && CONNECTION_TEXT.test(message)) return { why: message };
  return undefined;
}
