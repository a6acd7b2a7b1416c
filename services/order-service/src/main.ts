// Start-up and shutdown: config → logger → database → migrations → peer clients → app → listen,
// and on SIGTERM: not ready → wait for the endpoints to drop us → stop accepting → drain → close.
// Run directly (node dist/src/main.js) it loads the configuration from the environment and starts.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createApp } from './app.js';
import { answerClientError } from './http/client-error.js';
import { ConfigError, describeConfig, loadConfig, type Config } from './config.js';
import { DependencyUnavailable } from './domain/errors.js';
import { createLogger, type Log } from './log.js';
import type { OperationHandlers } from './http/api.js';
import { createServiceMetrics, type ServiceMetrics } from './http/metrics.js';
import type { Cart, Catalog } from './orders/ports.js';
import { createDatabase, pendingMigrations, runMigrations } from './data/index.js';
import { databaseTarget } from './data/database-tls.js';
import { describeCause } from './describe-error.js';
import { adaptOrderService } from './http/order-use-cases.js';
import { createOrderSearch } from './data/order-search.js';
import { createExportOrders } from './orders/export-orders.js';
import { createSearchOrders } from './orders/search-orders.js';
import { createStatsSeries } from './orders/stats-series.js';
import { createTopProducts } from './orders/top-products.js';
import { createCartClient, createProductClient, createUserClient } from './peers/index.js';
import { createAccountGate, type AccountGate } from './orders/account-gate.js';
import jwt from 'jsonwebtoken';
import { createResponseCache } from './cache/order-cache.js';
import { withResponseCache } from './http/cached-order-use-cases.js';
import { createOrderPersistence } from './data/order-persistence.js';
import { wireOrderService } from './wiring/order-service.js';
import { createRedisClient } from './cache/redis-client.js';
import { createRetention } from './data/retention.js';
import { createStreamPublisher } from './events/stream-publisher.js';
import { createOutboxRelay } from './orders/outbox-relay.js';
import { createStockReconciler } from './orders/stock-reconciler.js';
import { createHealthHandlers } from './health/handlers.js';
import { createHealthReader } from './health/reader.js';
import { startTracing } from './tracing/tracing.js';
import { lookup } from 'node:dns/promises';
import { createWebhookStore } from './data/webhook-store.js';
import { createDeliveryWorker } from './webhooks/delivery-worker.js';
import { createManageWebhooks } from './webhooks/manage-webhooks.js';

/** Shared with /health/ready (sidecar issue): readiness drops first on shutdown. */
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
  const shutdowns: Array<() => void> = [];
  const shutdownsAsync: Array<() => Promise<void>> = [];
  try {
    if (config.migrateOnStart) await runMigrations(database);
    // a database not there yet is the sidecar's to report: start, and look again below
    state.migrationsApplied = await migrationsComplete(database, log).catch((err: unknown) => {
      log.warn({ err }, 'could not read the migration table; not ready until it can be read');
      return false;
    });
    if (!state.migrationsApplied) {
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
      shutdowns.push(() => clearInterval(recheck));
    }

    const peerOptions = { timeoutMs: config.peerTimeoutMs, log };
    let catalog = overrides.catalog;
    if (!catalog && config.peers.productServiceUrl) {
      const client = createProductClient({ baseUrl: config.peers.productServiceUrl, ...peerOptions });
      shutdowns.push(() => client.shutdown());
      catalog = client;
    }
    let cart = overrides.cart;
    if (!cart && config.peers.cartServiceUrl) {
      const client = createCartClient({ baseUrl: config.peers.cartServiceUrl, ...peerOptions });
      shutdowns.push(() => client.shutdown());
      cart = client;
    }

    let accountGate: AccountGate | undefined;
    if (config.peers.userServiceUrl) {
      const client = createUserClient({ baseUrl: config.peers.userServiceUrl, ...peerOptions });
      shutdowns.push(() => client.shutdown());
      accountGate = createAccountGate({
        accounts: client,
        ...config.accountCheck,
        log,
        checks: metrics.accountChecks,
        unavailable: metrics.accountCheckUnavailable,
      });
    } else {
      log.warn('account check off: USER_SERVICE_URL is not set, so blocked accounts are not refused at checkout');
    }

    // the order tables' adapters, built once: the use cases, the relay and the reconciler share them
    const persistence = createOrderPersistence(database, { idempotency: { ttlHours: config.idempotencyTtlHours, leaseSeconds: config.checkout.idempotencyLeaseSeconds } });
    const service = wireOrderService({
      persistence,
      accountGate,
      catalog: catalog ?? unconfiguredCatalog(),
      cart: cart ?? unconfiguredCart(),
      clock: overrides.clock ?? (() => new Date()),
      pricing: config.pricing,
      log,
      stockManagement: config.stockManagement,
      deadlines: { statementTimeoutMs: config.dbQueryTimeoutMs, peerTimeoutMs: config.peerTimeoutMs },
      singleSession: config.dbSingleSession,
      ...(config.testFaultPoint === 'after-stock-update' ? { faults: { afterStockUpdate: killSelf } } : {}),
    });

    // after the commit: events to the stream, carts cleared; both retried until they succeed
    const redis = config.redisUrl ? createRedisClient(config.redisUrl, { caFile: config.redisCaFile, log }) : null;
    if (redis) shutdowns.push(() => redis.disconnect());
    const relay = createOutboxRelay({
      outbox: persistence.outbox,
      publisher: redis ? createStreamPublisher(redis, { stream: config.checkout.eventsStream, maxLength: config.checkout.eventsStreamMaxLength }) : null,
      cart: cart ?? unconfiguredCart(),
      // the shopper's own token may have expired by the time the cart service is back
      shopperToken: (userId) =>
        jwt.sign({ sub: String(userId), role: 'user', email: '' }, config.secretKey, { algorithm: 'HS256', expiresIn: 300 }),
      intervalMs: config.checkout.outboxIntervalMs,
      metrics,
      log,
      ...(config.testFaultPoint === 'after-event-publish' ? { afterPublish: killSelf } : {}),
    });
    relay.start();
    shutdownsAsync.push(() => relay.stop());
    if (config.stockManagement && catalog) {
      const reconciler = createStockReconciler({
        stockLocks: persistence.stockLocks,
        reservations: persistence.reservations,
        catalog,
        graceSeconds: config.checkout.reconcileGraceSeconds,
        intervalMs: config.checkout.reconcileIntervalSeconds * 1000,
        log,
      });
      reconciler.start();
      shutdowns.push(() => reconciler.stop());
    }
    // delivered events, settled reservations and expired keys, in short batches off the request path
    const retention = createRetention(database, {
      policy: { ...config.retention, maxBatchesPerRun: 100, pauseMs: 50 },
      purged: metrics.retentionPurged,
      log,
    });
    retention.start(config.retention.intervalSeconds * 1000);
    shutdownsAsync.push(() => retention.stop());

    // signed webhook deliveries of the outbox's events (their rows are written with the event)
    const webhookStore = createWebhookStore(database);
    const webhookPolicy = { allowPrivateTargets: config.webhooks.allowPrivateTargets, allowHttp: config.webhooks.allowHttp };
    const deliveryWorker = createDeliveryWorker({ store: webhookStore, policy: webhookPolicy, ...config.webhooks, attempts: metrics.webhookDeliveries, log });
    deliveryWorker.start();
    shutdownsAsync.push(() => deliveryWorker.stop());
    const webhooks = createManageWebhooks({
      store: webhookStore,
      policy: webhookPolicy,
      secretOverlapHours: config.webhooks.secretOverlapHours,
      lookupAll: (host) => withTimeout(lookup(host, { all: true }).then((list) => list.map((a) => a.address)), 2000),
      log,
    });

    const healthReader = createHealthReader({ sidecarUrl: config.sidecarUrl });
    const searchStore = createOrderSearch(database);
    const useCases = adaptOrderService(service, {
      searchOrders: createSearchOrders({ store: searchStore }),
      exportOrders: createExportOrders({ store: searchStore }),
    });
    const { app } = await createApp({
      config,
      orders: redis ? withResponseCache(useCases, createResponseCache(redis, { metrics, prefix: config.cachePrefix })) : useCases,
      stats: { series: createStatsSeries(persistence.stats), topProducts: createTopProducts(persistence.stats) },
      webhooks,
      log,
      metrics,
      state,
      health: overrides.health
        ? overrides.health({ config, log, state })
        : { handlers: createHealthHandlers({ reader: healthReader, service: { name: config.serviceName, version: config.version, environment: config.environment, platform: config.platform }, state, details: config.healthDetails, describeConfig: () => describeConfig(config) }) },
    });

    const server = app.listen(config.servicePort, config.serviceHost);
    server.on('clientError', answerClientError);
    await once(server, 'listening');
    // keep-alive longer than the gateway's (nginx: 60 s) so it never reuses a socket we just closed
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    const sockets = trackSockets(server);
    const { port } = server.address() as AddressInfo;
    const host = config.serviceHost === '0.0.0.0' || config.serviceHost === '::' ? '127.0.0.1' : config.serviceHost;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    state.ready = true;
    reportStart(config, log, url);
    void reportConnectivity(healthReader, log);

    let stopping: Promise<void> | undefined;
    const stop = (options: { delay?: boolean } = {}) => {
      stopping ??= (async () => {
        state.ready = false;
        state.shuttingDown = true;
        log.info({ delay_seconds: options.delay ? config.shutdownDelaySeconds : 0 }, 'shutting down: not ready');
        if (options.delay && config.shutdownDelaySeconds > 0) await sleep(config.shutdownDelaySeconds * 1000);
        await closeServer(server, sockets, overrides.drainTimeoutMs ?? 10_000);
        for (const shutdown of shutdownsAsync) await shutdown().catch(() => undefined);
        for (const shutdown of shutdowns) shutdown();
        await database.close();
        // last, so the spans of the drained requests and of shutdown itself are sent
        await tracing.shutdown().catch((err: unknown) => log.warn({ err }, 'could not flush spans'));
        log.info('stopped');
      })();
      return stopping;
    };

    if (overrides.handleSignals) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          log.info({ signal }, 'signal received');
          stop({ delay: signal === 'SIGTERM' }).then(
            () => process.exit(0),
            (err: unknown) => {
              log.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
        });
      }
    }
    return { url, port, server, state, log, metrics, stop };
  } catch (err) {
    for (const shutdown of shutdownsAsync) await shutdown().catch(() => undefined);
    for (const shutdown of shutdowns) shutdown();
    await database.close().catch(() => undefined);
    await tracing.shutdown().catch(() => undefined);
    throw err;
  }
}

/** Sockets with no request in flight are closed at once on shutdown; busy ones after their response. */
function trackSockets(server: Server): Map<Socket, number> {
  const sockets = new Map<Socket, number>();
  server.on('connection', (socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    res.once('finish', () => {
      const left = (sockets.get(socket) ?? 1) - 1;
      sockets.set(socket, left);
      if (!server.listening && left === 0) socket.destroySoon();
    });
  });
  return sockets;
}

async function closeServer(server: Server, sockets: Map<Socket, number>, drainTimeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const [socket, inFlight] of sockets) if (inFlight === 0) socket.destroySoon();
  const timer = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
  await closed;
  clearTimeout(timer);
}

/** A registration-time lookup that cannot hold the request up: a slow resolver counts as unresolved. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('lookup timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unconfiguredCatalog(): Catalog {
  const fail = async (): Promise<never> => {
    throw new DependencyUnavailable('product-service', 'The product service is not configured (PRODUCT_SERVICE_URL)');
  };
  return { getProduct: fail, setStock: fail };
}

function unconfiguredCart(): Cart {
  const fail = async (): Promise<never> => {
    throw new DependencyUnavailable('cart-service', 'The cart service is not configured (CART_SERVICE_URL)');
  };
  return { getLines: fail, clear: fail };
}

/** The old service's emoji banner on a terminal; one JSON line per fact otherwise. */
function reportStart(config: Config, log: Log, url: string): void {
  const summary = describeConfig(config);
  if (config.secretKeyGenerated) {
    log.warn('SECRET_KEY is not set: using a random key for this process (tokens from the user service will not verify)');
  }
  if (!process.stdout.isTTY) {
    log.info({ url, config: summary }, 'order service started');
    return;
  }
  const lines = [
    '',
    `🚀 ${config.serviceName} ${config.version} started`,
    `🌍 Environment:   ${config.environment}`,
    `🔗 Listening:     ${url}  (bound to ${config.serviceHost}:${new URL(url).port})`,
    `📚 API docs:      ${url}/docs   (document: ${url}/openapi.json)`,
    `📈 Metrics:       ${url}/metrics`,
    `🗄️  PostgreSQL:    ${String(summary.database_url)}`,
    `🔴 Redis:         ${summary.redis_url === null ? 'not configured (no cache)' : String(summary.redis_url)}`,
    `👤 User service:  ${String(summary.user_service_url ?? 'not configured')}`,
    `🛒 Cart service:  ${String(summary.cart_service_url ?? 'not configured')}`,
    `📦 Product svc:   ${String(summary.product_service_url ?? 'not configured')}`,
    `🔎 Search svc:    ${String(summary.search_service_url ?? 'not configured')}`,
    `🩺 Sidecar:       ${String(summary.sidecar_url)}`,
    `📝 Log level:     ${config.logLevel}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
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

/** True when the database's migration table lists every migration this build knows; says how to apply the rest. */
async function migrationsComplete(database: Parameters<typeof pendingMigrations>[0], log: Log, report = true): Promise<boolean> {
  const pending = await pendingMigrations(database);
  if (pending.length > 0 && report) {
    log.warn({ pending }, `not ready: ${pending.length} migration(s) pending; apply them with \`npm run migrate\` (or the chart's migrate init container, MIGRATE_ON_START=true)`);
  }
  return pending.length === 0;
}

/** The connectivity report of the old service, from the sidecar's first probe round (waits ≤ 5 s). */
async function reportConnectivity(reader: ReturnType<typeof createHealthReader>, log: Log): Promise<void> {
  const deadline = Date.now() + 5000;
  const probed = (v: Awaited<ReturnType<typeof reader.read>>) => v.reachable && Object.values(v.dependencies).some((d) => d.status !== 'unknown' && d.status !== 'not_configured');
  let view = await reader.read();
  while (!probed(view) && Date.now() < deadline) {
    await sleep(1100); // the reader caches a failure for a second
    view = await reader.read();
  }
  const statuses = Object.fromEntries(Object.entries(view.dependencies).map(([name, d]) => [name, d.status]));
  if (process.stdout.isTTY) {
    const icon: Record<string, string> = { connected: '✅', warning: '⚠️ ', failed: '❌', timeout: '⏱️ ', not_configured: '➖', unknown: '❔' };
    const lines = Object.entries(statuses).map(([name, st]) => `   ${icon[st] ?? '❔'} ${name.padEnd(16)} ${st}`);
    process.stdout.write(`\n🔌 Connectivity (from the health sidecar${view.reachable ? '' : ': not reachable yet'})\n${lines.join('\n')}\n\n`);
  } else {
    log.info({ sidecar: view.reachable ? 'ok' : 'unreachable', ready: view.criticalOk, dependencies: statuses }, 'connectivity report');
  }
}

/** A crash at a named fault point (ENVIRONMENT=test only): what SIGKILL does, without warning. */
function killSelf(): void {
  process.kill(process.pid, 'SIGKILL');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runFromEnvironment();
}
