// Runs and inspects the migrations with umzug, recorded in the SequelizeMeta table.

import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from './migrations/index.js';

function migrator(sequelize: Sequelize) {
  return new Umzug({
    migrations,
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
}

/** Applies every pending migration, each in order; returns the names applied. */
export async function runMigrations(sequelize: Sequelize): Promise<string[]> {
  // each migration is one multi-statement query, so a failed one leaves nothing half-applied
  const applied = await migrator(sequelize).up();
  return applied.map((m) => m.name);
}

export async function pendingMigrations(sequelize: Sequelize): Promise<string[]> {
  return (await migrator(sequelize).pending()).map((m) => m.name);
}
