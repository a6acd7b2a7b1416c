// Replicas and init containers start together: several migrators and several readiness checks on
// one empty database at the same moment, directly and through PgBouncer in transaction mode. Each
// migration is applied and recorded exactly once, every migrator succeeds (one applies the set, the
// others find nothing left), and a readiness check never fails or creates a table while they run
// (umzug's own storage did CREATE TABLE IF NOT EXISTS on every read, and two of those at once are a
// 23505 in PostgreSQL).

import { jest } from '@jest/globals';
import { createDatabase } from '../../src/data/database.js';
import { pendingMigrations, runMigrations } from '../../src/data/migrate.js';
import { migrations } from '../../src/data/migrations/index.js';
import { ROUTES, pooledSuite } from './support/pooled-stack.js';

jest.setTimeout(120_000);

const MIGRATORS = 4;
const READERS = 4;
const ROUNDS = 3;
const ALL = migrations.map((m) => m.name);

const { stack } = pooledSuite();

describe.each(ROUTES)('%s', (route) => {
  it(`${MIGRATORS} migrators and ${READERS} readiness checks at once on an empty database: each migration once, nobody fails, ${ROUNDS} rounds`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const db = await stack().createDatabase();
      const clients = Array.from({ length: MIGRATORS + READERS }, () => createDatabase({ url: db.urls[route], caFile: stack().caFile, poolMax: 1 }));
      try {
        const results = await Promise.allSettled(
          clients.map((c, i) => (i < MIGRATORS ? runMigrations(c) : pendingMigrations(c).then((p) => ({ pending: p })))),
        );
        const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
        expect({ round, failures }).toEqual({ round, failures: [] });

        const applied = results.slice(0, MIGRATORS).map((r) => (r as PromiseFulfilledResult<string[]>).value);
        expect(applied.filter((names) => names.length > 0)).toEqual([ALL]);
        expect(applied.filter((names) => names.length === 0)).toHaveLength(MIGRATORS - 1);
        for (const r of results.slice(MIGRATORS)) {
          const { pending } = (r as PromiseFulfilledResult<{ pending: string[] }>).value;
          // a check sees the set before or after the migrating transaction, never part of it
          expect([[], ALL]).toContainEqual(pending);
        }

        const recorded = await db.query<{ name: string; n: string }>('SELECT name, count(*)::text AS n FROM "SequelizeMeta" GROUP BY name ORDER BY name');
        expect(recorded).toEqual(ALL.map((name) => ({ name, n: '1' })));
        expect(await pendingMigrations(clients[0]!)).toEqual([]);
        expect(await runMigrations(clients[0]!)).toEqual([]);
        expect(await db.advisoryLocks()).toBe(0);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await db.drop();
      }
    }
  });
});
