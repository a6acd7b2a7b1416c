// The whole service for a test file: a fresh PostgreSQL database (migrated by the service on start),
// the peer stand-ins over real sockets, startService on port 0, and jose-signed tokens.
// stop() drops the database and closes everything it started.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import type { OpenAPIBackend } from 'openapi-backend';
import { createApi, loadApiDocument } from '../../src/http/api.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Log } from '../../src/log.js';
import { startService, type RunningService } from '../../src/main.js';
import { createTestDatabase } from './db.js';
import { startStandIns, type StandIns } from './stand-ins/index.js';
import { createTokens, type Tokens } from './tokens.js';

export interface TestService {
  url: string;
  tokens: Tokens;
  config: Config;
  log: Log;
  running: RunningService;
  /** the stand-in catalogue: ids of active, well-stocked products and their prices */
  catalog: { productIds: number[]; priceOf(id: number): number };
  /** the peer stand-ins (product, cart, user, search), e.g. to inject faults */
  peers: StandIns;
  /** every log line the service wrote (JSON text) */
  logText(): string;
  /** errors of a response body against the document's schema for this operation and status ([] = valid) */
  validateResponse(operationId: string, status: number, body: unknown): unknown[];
  /** this service's own Redis stream of order events (deleted by stop) */
  eventsStream: string;
  stop(): Promise<void>;
}

/** Removes a test's events stream, its dedupe keys and its cache keys from the shared Redis. */
export async function deleteStream(stream: string): Promise<void> {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stream}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.del(stream);
  } finally {
    redis.disconnect();
  }
}

/** made per test process: tokens, stand-ins and the service under test share it */
export const TEST_SECRET_KEY = `test-${randomBytes(24).toString('hex')}`;

export async function startTestService(options: { env?: Record<string, string> } = {}): Promise<TestService> {
  const database = await createTestDatabase({ migrate: false, poolMax: 1 });
  const eventsStream = `orders.events.test.${database.name}`;
  const standIns = await startPeerStandIns();
  let lines = '';
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => (lines += chunk.toString()));
  try {
    const config = loadConfig({
      ENVIRONMENT: 'test',
      SERVICE_HOST: '127.0.0.1',
      SERVICE_PORT: '0',
      DATABASE_URL: database.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      SECRET_KEY: TEST_SECRET_KEY,
      LOG_LEVEL: 'DEBUG',
      MIGRATE_ON_START: 'true',
      SHUTDOWN_DELAY_SECONDS: '0',
      DB_POOL_MAX: '5',
      EVENTS_STREAM: eventsStream,
      CACHE_PREFIX: `${eventsStream}:cache`,
      OUTBOX_INTERVAL_MS: '100',
      ...standIns.env,
      ...options.env,
    });
    const log = createLogger({ level: config.logLevel, service: config.serviceName, destination });
    const running = await startService(config, { log });
    const validator = await responseValidator();
    return {
      url: running.url,
      tokens: createTokens(config.secretKey, config.accessTokenExpireMinutes),
      config,
      log,
      running,
      catalog: standIns.catalog,
      peers: standIns.peers,
      logText: () => lines,
      validateResponse: (operationId, status, body) => validator.validateResponse(body, operationId, status).errors ?? [],
      eventsStream,
      stop: async () => {
        await running.stop();
        await standIns.stop();
        await database.drop();
        await deleteStream(eventsStream);
      },
    };
  } catch (err) {
    await standIns.stop();
    await database.drop();
    throw err;
  }
}

let sharedValidator: Promise<OpenAPIBackend> | undefined;
function responseValidator(): Promise<OpenAPIBackend> {
  sharedValidator ??= createApi(loadApiDocument(), {
    ...Object.fromEntries(
      // the validator needs no real handlers; it only compiles the document's schemas
      (loadApiDocument().paths ? Object.values(loadApiDocument().paths!) : [])
        .flatMap((item) => Object.values(item as Record<string, { operationId?: string }>))
        .filter((op) => typeof op === 'object' && op !== null && typeof op.operationId === 'string')
        .map((op) => [op.operationId!, () => undefined]),
    ),
  });
  return sharedValidator;
}

interface PeerStandIns {
  env: Record<string, string>;
  catalog: TestService['catalog'];
  peers: StandIns;
  stop(): Promise<void>;
}

async function startPeerStandIns(): Promise<PeerStandIns> {
  const peers = await startStandIns({ secretKey: TEST_SECRET_KEY });
  const active = [...peers.product.products.values()].filter((p) => p.isActive && p.stock >= 10);
  return {
    env: peers.env,
    catalog: {
      productIds: active.map((p) => p._id),
      priceOf: (id) => {
        const product = peers.product.products.get(id);
        if (!product) throw new Error(`no stand-in product ${id}`);
        return product.price;
      },
    },
    peers,
    stop: () => peers.close(),
  };
}
