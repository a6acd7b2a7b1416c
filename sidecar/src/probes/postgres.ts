// Probes PostgreSQL (Neon in production) with a query on a fresh connection.

import pg from 'pg';
import { reasonOf, withTimeout, type ProbeOutcome } from './types.js';

export async function probePostgres(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode');
  parsed.searchParams.delete('sslmode');
  const client = new pg.Client({
    connectionString: parsed.toString(),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    ...(sslmode && !['disable', 'prefer', 'allow'].includes(sslmode) ? { ssl: { rejectUnauthorized: sslmode !== 'no-verify' } } : {}),
  });
  client.on('error', () => undefined); // a dropped connection is reported through the probe
  const started = performance.now();
  try {
    const result = await withTimeout(
      (async () => {
        await client.connect();
        return client.query<{ version: string; database: string }>('SELECT current_setting($1) AS version, current_database() AS database', [
          'server_version',
        ]);
      })(),
      timeoutMs,
    );
    const row = result.rows[0]!;
    return { status: 'connected', reason: null, responseTimeMs: performance.now() - started, details: { version: row.version, database: row.database } };
  } catch (err) {
    const reason = reasonOf(err);
    return { status: reason === 'timeout' ? 'timeout' : 'failed', reason, responseTimeMs: performance.now() - started, error: String((err as Error).message) };
  } finally {
    void client.end().catch(() => undefined);
  }
}
