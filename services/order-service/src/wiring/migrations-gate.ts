// Migrations at start-up: applied when MIGRATE_ON_START, and readiness held back until the database
// lists every migration this build knows (looked at again every 5 s until it does).
import type { Config } from '../config.js';
import { pendingMigrations, runMigrations, type Database } from '../data/index.js';
import type { Log } from '../log.js';
import type { Closer } from '../shutdown.js';

export async function prepareDatabase(database: Database, config: Config, deps: { log: Log; state: { migrationsApplied: boolean }; closer: Closer }): Promise<void> {
  const { log, state } = deps;
  if (config.migrateOnStart) await runMigrations(database);
  // a database not there yet is the sidecar's to report: start, and look again below
  state.migrationsApplied = await migrationsComplete(database, log).catch((err: unknown) => {
    log.warn({ err }, 'could not read the migration table; not ready until it can be read');
    return false;
  });
  if (state.migrationsApplied) return;
  // not ready until someone applies them (npm run migrate, the chart's init container); then ready by itself
  const recheck = setInterval(() => {
    void migrationsComplete(database, log, false).then((done) => {
      if (!done) return;
      state.migrationsApplied = true;
      clearInterval(recheck);
      log.info('migrations applied: ready');
    }, () => undefined);
  }, 5_000);
  recheck.unref();
  deps.closer.stopNow(() => clearInterval(recheck));
}

/** True when the database's migration table lists every migration this build knows; says how to apply the rest. */
async function migrationsComplete(database: Database, log: Log, report = true): Promise<boolean> {
  const pending = await pendingMigrations(database);
  if (pending.length > 0 && report) {
    log.warn({ pending }, `not ready: ${pending.length} migration(s) pending; apply them with \`npm run migrate\` (or the chart's migrate init container, MIGRATE_ON_START=true)`);
  }
  return pending.length === 0;
}
