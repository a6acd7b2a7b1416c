// COPY (…) TO STDOUT in CSV format on a connection of the pool (pg-copy-streams): PostgreSQL writes
// the records in C and their bytes come through as they are, no row decoding and no strings. One
// statement in autocommit, so through a pooler in transaction mode it holds nothing afterwards.

import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Database } from './database.js';
import { inStatementSpan } from './query-spans.js';

export interface Copied {
  /** the records copied (COPY's command tag) */
  rows: number;
  /** the records as COPY wrote them, each ended by LF, or by CRLF as RFC 4180 has it when asked */
  data: Buffer;
}

/** Values a COPY statement may take as literals (it takes no bind parameters). */
export type CopyValue = string | number | Date;

/** The SQL text with each `$name` replaced by its value as a literal, escaped by the driver. */
export function withLiterals(client: pg.Client, sql: string, values: Record<string, CopyValue>): string {
  return sql.replace(/\$(\w+)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for $${name}`);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new Error(`$${name} is not an integer`);
      return String(value);
    }
    return client.escapeLiteral(value instanceof Date ? value.toISOString() : value);
  });
}

/**
 * Runs a `COPY (…) TO STDOUT (FORMAT csv …)` statement (made with the connection, for its
 * literals) and returns all its records: a batch, so the statement bounds its size. The connection
 * goes back to the pool, or is closed if the statement outlived the query deadline (as
 * DeadlineClient closes one).
 */
export function copyOut(db: Database, statement: (client: pg.Client) => string, options: { crlf: boolean }): Promise<Copied> {
  return inStatementSpan(db, 'COPY', () => copyOnConnection(db, statement, options));
}

async function copyOnConnection(db: Database, statement: (client: pg.Client) => string, options: { crlf: boolean }): Promise<Copied> {
  const client = (await db.connectionManager.getConnection({ type: 'read' })) as pg.Client;
  let expired = false;
  try {
    const stream = client.query(copyTo(statement(client)));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    // ReadyForQuery: the command tag (the row count) has arrived. pg wraps the query's callback to
    // clear its query_timeout timer, and the stream never calls it: called here, it is cleared.
    const query = stream as unknown as { handleReadyForQuery(): void; callback?: (err: null) => void };
    const ready = new Promise<void>((resolve) => {
      query.handleReadyForQuery = () => {
        query.callback?.(null);
        resolve();
      };
    });
    try {
      await ended;
    } catch (err) {
      expired = (err as Error).message === 'Query read timeout';
      throw err;
    }
    await ready;
    const data = Buffer.concat(chunks);
    return { rows: stream.rowCount, data: options.crlf ? crlfRecords(data) : data };
  } finally {
    // closed while the statement is still active: pg ends the socket at once
    if (expired) await db.connectionManager.destroyConnection(client);
    else db.connectionManager.releaseConnection(client);
  }
}

/** COPY's CSV ends records with LF: each LF outside a quoted field becomes CRLF (a quote toggles quoting, a doubled one twice). */
export function crlfRecords(data: Buffer): Buffer {
  const ends: number[] = [];
  // from quote to quote and line end to line end by indexOf (memchr), not byte by byte
  let at = 0;
  let quote = data.indexOf(0x22);
  for (let end = data.indexOf(0x0a); end >= 0; end = data.indexOf(0x0a, at)) {
    if (quote >= 0 && quote < end) {
      const closing = data.indexOf(0x22, quote + 1);
      if (closing < 0) break; // an unclosed quote: the rest is one field
      at = closing + 1;
      quote = data.indexOf(0x22, at);
      continue;
    }
    ends.push(end);
    at = end + 1;
  }
  const out = Buffer.allocUnsafe(data.length + ends.length);
  let from = 0;
  let to = 0;
  for (const end of ends) {
    to += data.copy(out, to, from, end);
    out[to++] = 0x0d;
    out[to++] = 0x0a;
    from = end + 1;
  }
  data.copy(out, to, from);
  return out;
}
