// `npm start`: the whole service on embedded defaults, nothing to install or configure.
// An embedded PostgreSQL (PGlite behind its socket server, data in ./.data/pglite), stand-ins of
// the four peers on loopback, the health sidecar as its own process (as in production), then the
// service itself; prints a shopper token, an admin token and a curl that creates an order.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { loadConfig } from '../src/config.js';
import { describeCause } from '../src/describe-error.js';
import { runFromEnvironment, startService } from '../src/main.js';
import { DEFAULT_USERS, issueToken, startStandIns } from '../test/support/stand-ins/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');

export interface DevStack {
  url: string;
  /** blocked: user 3, whose account the user stand-in has blocked (its checkouts are refused) */
  tokens: { user: string; admin: string; blocked: string };
  stop(): Promise<void>;
}

/** The development shopper's cart at start, as `productId:quantity,…` (DEV_CART): a cart checkout works at once. */
const DEFAULT_DEV_CART = '3:2,7:1';

function seedCart(peers: Awaited<ReturnType<typeof startStandIns>>, spec: string): void {
  const items = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [id, quantity] = part.split(':').map(Number);
      const product = peers.product.products.get(id!);
      if (!product || !Number.isSafeInteger(quantity) || quantity! < 1) throw new Error(`DEV_CART: "${part}" is not productId:quantity of a stand-in product (ids 1–8)`);
      return { productId: product._id, sku: product.sku, title: product.title, quantity: quantity!, price: product.price, currency: product.currency };
    });
  peers.cart.setCart(DEFAULT_USERS[0]!.id, items);
}

export async function startDevStack(options: { dataDir?: string; servicePort?: number; sidecarPort?: number; quiet?: boolean; cart?: string } = {}): Promise<DevStack> {
  const dataDir = resolve(options.dataDir ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const secretFile = resolve(dataDir, 'dev-secret-key');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const secretKey = readFileSync(secretFile, 'utf8').trim();

  // PGlite is one backend session: the socket server multiplexes a few client connections onto it
  const pglite = await PGlite.create({ dataDir: resolve(dataDir, 'pglite') });
  // the service's pool (3), the sidecar's probe and one probe connection still closing
  const pgServer = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 6 });
  await pgServer.start();
  const pgPort = Number(/:(\d+)$/.exec(pgServer.getServerConn())?.[1]);
  const databaseUrl = `postgresql://postgres@127.0.0.1:${pgPort}/postgres`;

  const peers = await startStandIns({ secretKey });
  seedCart(peers, options.cart ?? process.env.DEV_CART ?? DEFAULT_DEV_CART);
  const sidecarPort = options.sidecarPort ?? 9091;
  const env: Record<string, string> = {
    ENVIRONMENT: 'development',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO',
    SECRET_KEY: secretKey,
    DATABASE_URL: databaseUrl,
    DB_POOL_MAX: '3',
    DATABASE_SINGLE_SESSION: 'true', // PGlite: one backend session behind the socket server
    USER_SERVICE_URL: peers.user.url,
    CART_SERVICE_URL: peers.cart.url,
    PRODUCT_SERVICE_URL: peers.product.url,
    SEARCH_SERVICE_URL: peers.search.url,
    SIDECAR_URL: `http://127.0.0.1:${sidecarPort}`,
    SERVICE_HOST: '127.0.0.1',
    SERVICE_PORT: String(options.servicePort ?? 8081),
    SHUTDOWN_DELAY_SECONDS: '0',
  };

  const labels = {
    PROBE_POSTGRES_PLATFORM: 'PGlite (embedded, ./.data)',
    PROBE_POSTGRES_PROVIDER: 'pglite',
    ...Object.fromEntries(['USER_SERVICE', 'CART_SERVICE', 'PRODUCT_SERVICE', 'SEARCH_SERVICE'].flatMap((k) => [[`PROBE_${k}_PLATFORM`, 'local stand-in'], [`PROBE_${k}_PROVIDER`, 'stand-in']])),
  };
  const sidecar = startSidecar({ ...env, ...labels, SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: String(sidecarPort) }, options.quiet);
  // everything but the service; also when the service cannot start (a port in use, say), or the sidecar child would outlive this process and hold its port
  const closeAround = async () => {
    await stopSidecar(sidecar);
    await peers.close();
    await pgServer.stop();
    await pglite.close();
  };
  const service = await startService(loadConfig(env), { handleSignals: false }).catch(async (err: unknown) => {
    await closeAround();
    throw err;
  });

  const minutes = Number(process.env.ACCESS_TOKEN_EXPIRE_MINUTES ?? 30);
  const [shopper, admin, blocked] = [DEFAULT_USERS[0]!, DEFAULT_USERS[1]!, DEFAULT_USERS[2]!];
  const tokens = { user: issueToken(secretKey, shopper, minutes), admin: issueToken(secretKey, admin, minutes), blocked: issueToken(secretKey, blocked, minutes) };

  let stopped = false;
  return {
    url: service.url,
    tokens,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await service.stop();
      await closeAround();
    },
  };
}

async function stopSidecar(sidecar: ChildProcess | null): Promise<void> {
  if (!sidecar || sidecar.exitCode !== null || sidecar.signalCode !== null) return;
  const exited = new Promise((resolve) => sidecar.once('exit', resolve));
  sidecar.kill('SIGTERM');
  await exited;
}

function startSidecar(env: Record<string, string>, quiet = false): ChildProcess | null {
  const entry = resolve(repoRoot, 'sidecar/dist/main.js');
  if (!existsSync(entry)) {
    console.warn(`health sidecar not built (${entry}); /health/* will report it as unknown`);
    return null;
  }
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'],
  });
  child.on('error', () => console.warn('health sidecar could not start'));
  return child;
}

function printWelcome(stack: DevStack): void {
  const body = JSON.stringify({
    items: [{ product_id: 7, quantity: 2 }],
    shipping_address: { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' },
  });
  console.log(`
Order service (development) at ${stack.url}   ·   API docs: ${stack.url}/docs

Shopper token (user 1, shopper@example.com):
  export USER_TOKEN=${stack.tokens.user}
Admin token (user 2, admin@example.com):
  export ADMIN_TOKEN=${stack.tokens.admin}

Create an order (prices come from the product stand-in, catalogue ids 1–8):
  curl -s -X POST ${stack.url}/orders -H "Authorization: Bearer $USER_TOKEN" -H 'Content-Type: application/json' -H "Idempotency-Key: $(date +%s)" -d '${body}'
Or check out the shopper's cart (seeded from DEV_CART, now ${process.env.DEV_CART ?? DEFAULT_DEV_CART}: productId:quantity,…):
  curl -s -X POST ${stack.url}/orders -H "Authorization: Bearer $USER_TOKEN" -H 'Content-Type: application/json' -d '${JSON.stringify({ shipping_address: JSON.parse(body).shipping_address })}'
A blocked shopper (user 3, blocked@example.com; the user stand-in answers its /auth/me with 403): the same order is refused with 403 account-blocked:
  export BLOCKED_TOKEN=${stack.tokens.blocked}
  curl -s -X POST ${stack.url}/orders -H "Authorization: Bearer $BLOCKED_TOKEN" -H 'Content-Type: application/json' -d '${body}'
Read your orders, then the admin statistics:
  curl -s ${stack.url}/orders -H "Authorization: Bearer $USER_TOKEN"
  curl -s ${stack.url}/admin/orders/stats -H "Authorization: Bearer $ADMIN_TOKEN"
Dependency health (read from the health sidecar's latest probes):
  curl -s ${stack.url}/health/connectivity
Tokens last ${process.env.ACCESS_TOKEN_EXPIRE_MINUTES ?? 30} minutes; restart for new ones. Data is kept in ./.data (delete it to start afresh).
`);
}

/** Another `npm start` on this data directory is alive: PGlite's files take one process at a time. */
function claimDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = resolve(dataDir, 'npm-start.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch {
      const pid = Number(readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        console.error(`npm start: another development stack (pid ${pid}) is using ${dataDir}; stop it, or set DEV_DATA_DIR to another folder`);
        process.exit(1);
      }
      rmSync(lockFile, { force: true }); // left by a stack that died without cleaning up
    }
  }
  throw new Error(`cannot claim ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An operator's `ENVIRONMENT=production … npm start` (or any DATABASE_URL) means the configured service, never the embedded stack. */
function configuredByEnvironment(env: NodeJS.ProcessEnv): boolean {
  return (env.ENVIRONMENT ?? '').trim().toLowerCase() === 'production' || (env.DATABASE_URL ?? '').trim() !== '';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && configuredByEnvironment(process.env)) {
  console.error('npm start: ENVIRONMENT=production or DATABASE_URL is set, so this is the configured service, not the embedded development stack (the health sidecar runs separately: node sidecar/dist/main.js)');
  await runFromEnvironment();
} else if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const releaseDataDir = claimDataDir(resolve(process.env.DEV_DATA_DIR ?? '.data'));
  process.once('exit', releaseDataDir);
  const port = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const stack = await startDevStack({ servicePort: port('SERVICE_PORT'), sidecarPort: port('SIDECAR_PORT'), dataDir: process.env.DEV_DATA_DIR }).catch((err: unknown) => {
    console.error(`development start failed: ${describeCause(err)?.why ?? (err as Error).message}`);
    process.exit(1);
  });
  printWelcome(stack);
  const shutdown = () => {
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
