export { createDatabase, toInt, type Database, type DatabaseOptions } from './database.js';
export { runMigrations, pendingMigrations } from './migrate.js';
