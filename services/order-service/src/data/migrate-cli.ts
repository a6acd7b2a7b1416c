// `npm run migrate` and the chart's init container: applies pending migrations to DATABASE_URL
// (validated like the service's own configuration) and exits 0, or 1 with one line saying why.
import { ConfigError, loadConfig, maskUrl } from '../config.js';
import { describeCause } from '../describe-error.js';
import { createLogger } from '../log.js';
import { databaseTarget } from './database-tls.js';
import { createDatabase, runMigrations } from './index.js';

async function migrate(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel, service: `${config.serviceName}-migrate`, version: config.version });
  const database = createDatabase({ url: config.databaseUrl, caFile: config.databaseCaFile, poolMax: 1, log });
  try {
    const applied = await runMigrations(database);
    log.info({ database_url: maskUrl(config.databaseUrl), applied }, applied.length > 0 ? 'migrations applied' : 'no pending migrations');
    return 0;
  } catch (err) {
    const why = describeCause(err)?.why;
    const target = databaseTarget(config.databaseUrl, config.databaseCaFile);
    log.error({ err, database_url: maskUrl(config.databaseUrl), database: target }, why ? `migrations failed: ${why}` : 'migrations failed');
    return 1;
  } finally {
    await database.close().catch(() => undefined);
  }
}

process.exitCode = await migrate();
