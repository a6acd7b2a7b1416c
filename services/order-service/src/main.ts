// The composition root: config → logger → database → migrations → peers → adapters → use cases →
// background work → app → listen, each built once here; shutdown.ts stops it, startup-report.ts
// tells the operator. Run directly (node dist/src/main.js) it loads the configuration from the environment.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Express } from 'express';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createRedisClient } from './cache/redis-client.js';
import { databaseTarget } from './data/database-tls.js';
import { createDatabase } from './data/index.js';
import { describeCause } from './describe-error.js';
import { createHealthReader } from './health/reader.js';
import { createServiceHealth } from './health/service-health.js';
import type { OperationHandlers } from './http/api.js';
import { answerClientError } from './http/client-error.js';
import { createServiceMetrics, type ServiceMetrics } from './http/metrics.js';
import { createLogger, type Log } from './log.js';
import type { Cart, Catalog } from './orders/ports.js';
import { abandonStart, createCloser, createStop, exitOnSignals, trackSockets } from './shutdown.js';
import { reportConnectivity, reportStart } from './startup-report.js';
import { startTracing } from './tracing/tracing.js';
import { buildAdapters } from './wiring/adapters.js';
import { startBackground } from './wiring/background.js';
import { prepareDatabase } from './wiring/migrations-gate.js';
import { buildUseCases } from './wiring/order-use-cases.js';
import { buildPeers } from './wiring/peers.js';

/** Shared with /health/ready: readiness drops first on shutdown. */
export interface ServiceState {
  ready: boolean;
  shuttingDown: boolean;
  migrationsApplied: boolean;
}

export interface ServiceOverrides {
  log?: Log;
  metrics?: ServiceMetrics;
  catalog?: Catalog;
  cart?: Cart;
  clock?: () => Date;
  /** builds the /health/* handlers once the state and config exist */
  health?: (deps: { config: Config; log: Log; state: ServiceState }) => { handlers: OperationHandlers };
  /** install SIGTERM/SIGINT handlers that stop and exit (what `node main.js` does) */
  handleSignals?: boolean;
  /** upper bound for draining in-flight requests on stop (default 10 s) */
  drainTimeoutMs?: number;
}

export interface RunningService {
  url: string;
  port: number;
  server: Server;
  state: ServiceState;
  log: Log;
  metrics: ServiceMetrics;
  /** graceful stop; `{ delay: true }` first waits SHUTDOWN_DELAY_SECONDS while reporting not ready */
  stop(options?: { delay?: boolean }): Promise<void>;
}

export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const log = overrides.log ?? createLogger({ level: config.logLevel, service: config.serviceName, version: config.version });
  const metrics = overrides.metrics ?? createServiceMetrics();
  const state: ServiceState = { ready: false, shuttingDown: false, migrationsApplied: false };
  // before anything makes spans; the SDK is not even loaded without an OTLP endpoint
  const tracing = await startTracing(config, log);
  const database = createDatabase({ url: config.databaseUrl, caFile: config.databaseCaFile, poolMax: config.dbPoolMax, queryTimeoutMs: config.dbQueryTimeoutMs, log, traced: tracing.exporting });
  const closer = createCloser();
  try {
    await prepareDatabase(database, config, { log, state, closer });
    const peers = buildPeers(config, { log, metrics, closer, catalog: overrides.catalog, cart: overrides.cart });
    const redis = config.redisUrl ? createRedisClient(config.redisUrl, { caFile: config.redisCaFile, log }) : null;
    if (redis) closer.stopNow(() => redis.disconnect());
    const adapters = buildAdapters(database, redis, config);
    const useCases = buildUseCases({ config, database, adapters, peers, redis, metrics, log, clock: overrides.clock });
    startBackground({ config, database, adapters, peers, metrics, log, closer });

    const reader = createHealthReader({ sidecarUrl: config.sidecarUrl });
    const health = overrides.health?.({ config, log, state }) ?? createServiceHealth(config, state, reader);
    const { app } = await createApp({ config, ...useCases, log, metrics, state, health });
    const { server, url, port } = await listen(app, config);
    const sockets = trackSockets(server);
    state.ready = true;
    reportStart(config, log, url);
    void reportConnectivity(reader, log);

    const stop = createStop({ server, sockets, state, closer, database, tracing, log, shutdownDelaySeconds: config.shutdownDelaySeconds, drainTimeoutMs: overrides.drainTimeoutMs ?? 10_000 });
    if (overrides.handleSignals) exitOnSignals(stop, log);
    return { url, port, server, state, log, metrics, stop };
  } catch (err) {
    await abandonStart(closer, database, tracing);
    throw err;
  }
}

async function listen(app: Express, config: Config): Promise<{ server: Server; url: string; port: number }> {
  const server = app.listen(config.servicePort, config.serviceHost);
  server.on('clientError', answerClientError);
  await once(server, 'listening');
  // keep-alive longer than the gateway's (nginx: 60 s) so it never reuses a socket we just closed
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const { port } = server.address() as AddressInfo;
  const host = config.serviceHost === '0.0.0.0' || config.serviceHost === '::' ? '127.0.0.1' : config.serviceHost;
  return { server, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

/** `node main.js`: the service as the environment configures it (also `npm start` with a configuration). */
export async function runFromEnvironment(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  try {
    await startService(config, { handleSignals: true });
  } catch (err) {
    const log = createLogger({ level: config.logLevel, service: config.serviceName });
    const why = describeCause(err)?.why;
    log.fatal({ err, database: databaseTarget(config.databaseUrl, config.databaseCaFile) }, why ? `start-up failed: ${why}` : 'start-up failed');
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runFromEnvironment();
}
