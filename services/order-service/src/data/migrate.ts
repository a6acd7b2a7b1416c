// Runs and inspects the migrations with umzug, recorded in the SequelizeMeta table.
//
// All pending migrations run in one transaction that first takes a transaction-level advisory
// lock: replicas and init containers starting together apply them once, the others wait and then
// find nothing pending, and through a transaction pooler the lock stays with the one server
// session the transaction is pinned to. PostgreSQL's DDL is transactional, so a failure leaves
// nothing half-applied.

import type { Sequelize, Transaction } from 'sequelize';
import { QueryTypes } from 'sequelize';
import { Umzug, type UmzugStorage } from 'umzug';
import { migrations, type MigrationContext } from './migrations/index.js';

const TABLE = '"SequelizeMeta"';
const LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('orders:migrations', 0))";

function inTransaction(sequelize: Sequelize, transaction: Transaction): MigrationContext {
  return {
    query: async (sql) => void (await sequelize.query(sql, { transaction })),
    select: async (sql) => sequelize.query<Record<string, unknown>>(sql, { transaction, type: QueryTypes.SELECT }),
  };
}

function storage(sequelize: Sequelize, transaction: Transaction): UmzugStorage<MigrationContext> {
  return {
    executed: async () => appliedNames(sequelize, transaction),
    logMigration: async ({ name }) => void (await sequelize.query(`INSERT INTO ${TABLE} (name) VALUES (:name)`, { replacements: { name }, transaction })),
    unlogMigration: async ({ name }) => void (await sequelize.query(`DELETE FROM ${TABLE} WHERE name = :name`, { replacements: { name }, transaction })),
  };
}

/** Names recorded as applied; none when the table does not exist yet (a read never creates it). */
async function appliedNames(sequelize: Sequelize, transaction?: Transaction): Promise<string[]> {
  const [exists] = await sequelize.query<{ table: string | null }>(`SELECT to_regclass('${TABLE}')::text AS table`, { type: QueryTypes.SELECT, transaction });
  if (!exists?.table) return [];
  const rows = await sequelize.query<{ name: string }>(`SELECT name FROM ${TABLE} ORDER BY name`, { type: QueryTypes.SELECT, transaction });
  return rows.map((r) => r.name);
}

/** Applies every pending migration, in order, under the migration lock; returns the names applied. */
export async function runMigrations(sequelize: Sequelize): Promise<string[]> {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query(LOCK, { transaction });
    await sequelize.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (name VARCHAR(255) NOT NULL PRIMARY KEY)`, { transaction });
    const umzug = new Umzug({ migrations, context: inTransaction(sequelize, transaction), storage: storage(sequelize, transaction), logger: undefined });
    return (await umzug.up()).map((m) => m.name);
  });
}

/** The migrations this build knows that the database has not recorded; reads only. */
export async function pendingMigrations(sequelize: Sequelize): Promise<string[]> {
  const applied = new Set(await appliedNames(sequelize));
  return migrations.map((m) => m.name).filter((name) => !applied.has(name));
}
