// Production's shape on loopback (CONTRACTS.md §6), one per suite: a throwaway CA (test/support/tls.ts),
// a TLS-only PostgreSQL cluster of the suite's own (throwaway-postgres.ts with ssl), PgBouncer 1.18 in
// transaction pool mode in front of it with TLS on both sides, and a TLS-only redis-server with a
// password. All on free ports; as root, PostgreSQL and PgBouncer run as the postgres user (both refuse
// root). The password of every role and of Redis is the canary, so a leak of it shows in the transcript.
//
//   const stack = await startPooledStack(CANARY.dbPassword);
//   const db = await stack.createDatabase();          // db.urls.direct, db.urls.pooler
//   spawnService({ DATABASE_URL: db.urls.pooler, REDIS_URL: stack.redis.url, ...stack.tlsEnv() }, …)
//   await stack.postgres.stop(); await stack.postgres.start();   // behind the pooler
//   await stack.teardown();

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../../support/net.js';
import { makeTestCertificates, startTlsRedis } from '../../support/tls.js';
import { createTokens } from '../../support/tokens.js';
import { CANARY, Transcript } from './harness.js';
import { startThrowawayPostgres } from './throwaway-postgres.js';

/** the two ways the service reaches PostgreSQL in these suites */
export const ROUTES = ['direct', 'pooler'] as const;
export type Route = (typeof ROUTES)[number];

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p)) ?? 'pgbouncer';
/** the role the service connects as (owner of each test database) */
const APP_ROLE = 'orders_app';

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root and there is no postgres user to run PostgreSQL and PgBouncer');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface StackDatabase {
  name: string;
  /** the app role's URLs with sslmode=verify-full: straight to PostgreSQL, and through PgBouncer */
  urls: Record<Route, string>;
  /** a query in this database as the superuser, straight to PostgreSQL over TLS */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** advisory locks held in this database right now (pg_locks), by anyone */
  advisoryLocks(): Promise<number>;
  drop(): Promise<void>;
}

export interface PooledStack {
  /** PEM file of the throwaway CA that signed every server certificate */
  caFile: string;
  createDatabase(): Promise<StackDatabase>;
  /** DATABASE_CA_FILE and REDIS_CA_FILE: the service trusts the throwaway CA for both */
  tlsEnv(): Record<string, string>;
  postgres: {
    port: number;
    /** pg_ctl stop -m fast: sessions end, the port closes; PgBouncer stays up and keeps its clients */
    stop(): Promise<void>;
    start(): Promise<void>;
    log(): string;
  };
  pooler: {
    port: number;
    log(): string;
  };
  redis: {
    port: number;
    /** rediss://default:<password>@127.0.0.1:<port> */
    url: string;
    /** a client of the test's own over TLS with the CA (closed by teardown) */
    client(): Redis;
  };
  teardown(): Promise<void>;
}

/** A long-running child (PgBouncer) whose output is kept; ready when `ready` matches. */
async function startDaemon(
  name: string,
  command: string,
  args: string[],
  options: { owner?: { uid: number; gid: number }; cwd: string; ready: (out: string) => boolean },
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(options.owner ?? {}) });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 15_000;
  while (!options.ready(out)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, output: () => out };
}

async function stopDaemon(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export interface PgBouncer {
  port: number;
  /** its log file (its output until the file exists) */
  log(): string;
  /** SIGTERM (SIGKILL after 3 s), and its directory removed */
  stop(): Promise<void>;
}

/**
 * PgBouncer 1.18 in transaction pool mode on 127.0.0.1 and a free port, in front of the PostgreSQL on
 * `serverPort`: TLS required from clients (the certificate of `certs`) and verified towards the
 * server (its CA), scram-sha-256 for `users` (all with `password`). A login failure answers 08P01 for
 * `loginRetrySeconds` (PgBouncer's default is 15 s): short, so recovery fits a test. As root it runs
 * as the postgres user (it refuses root), from a directory of its own.
 */
export async function startPgBouncer(options: {
  serverPort: number;
  password: string;
  certs: { certFile: string; keyFile: string; caFile: string };
  /** default ['postgres'] */
  users?: string[];
  /** server_login_retry, default 2 */
  loginRetrySeconds?: number;
}): Promise<PgBouncer> {
  const owner = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'orders-pgbouncer-'));
  const own = (...paths: string[]) => {
    if (owner) for (const p of paths) chownSync(p, owner.uid, owner.gid);
  };
  try {
    own(dir);
    const [cert, key, caFile, userlist, ini, logfile] = ['server.crt', 'server.key', 'ca.crt', 'userlist.txt', 'pgbouncer.ini', 'pgbouncer.log'].map((f) => join(dir, f)) as [
      string, string, string, string, string, string,
    ];
    copyFileSync(options.certs.certFile, cert);
    copyFileSync(options.certs.keyFile, key);
    copyFileSync(options.certs.caFile, caFile);
    chmodSync(key, 0o600);
    const quoted = options.password.replace(/"/g, '""');
    writeFileSync(userlist, (options.users ?? ['postgres']).map((u) => `"${u}" "${quoted}"\n`).join(''), { mode: 0o600 });
    const port = await freePort();
    writeFileSync(
      ini,
      [
        '[databases]',
        `* = host=127.0.0.1 port=${options.serverPort}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = scram-sha-256',
        `auth_file = ${userlist}`,
        'pool_mode = transaction',
        'max_client_conn = 500',
        'default_pool_size = 10',
        `server_login_retry = ${options.loginRetrySeconds ?? 2}`,
        'ignore_startup_parameters = extra_float_digits',
        'client_tls_sslmode = require',
        `client_tls_cert_file = ${cert}`,
        `client_tls_key_file = ${key}`,
        'server_tls_sslmode = verify-full',
        `server_tls_ca_file = ${caFile}`,
        `logfile = ${logfile}`,
        '',
      ].join('\n'),
    );
    own(cert, key, caFile, userlist, ini);
    const started = await startDaemon('pgbouncer', PGBOUNCER, [ini], { owner, cwd: dir, ready: (out) => /process up/.test(out) });
    return {
      port,
      log: () => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : started.output()),
      stop: async () => {
        await stopDaemon(started.child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function startPooledStack(password: string): Promise<PooledStack> {
  const pools: pg.Pool[] = [];
  const redisClients: Redis[] = [];
  let certs: Awaited<ReturnType<typeof makeTestCertificates>> | undefined;
  let cluster: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
  let redis: Awaited<ReturnType<typeof startTlsRedis>> | undefined;
  let bouncer: PgBouncer | undefined;

  const teardown = async () => {
    for (const c of redisClients) c.disconnect();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await bouncer?.stop();
    await redis?.stop();
    await cluster?.destroy();
    certs?.remove();
  };

  try {
    certs = await makeTestCertificates();
    const ca = readFileSync(certs.caFile);
    cluster = await startThrowawayPostgres(password, { ssl: { certFile: certs.certFile, keyFile: certs.keyFile } });
    const pgPort = cluster.port;
    // the test's own connections verify the server against the CA (pg takes `ssl`, not sslmode)
    const adminPool = (db: string) => {
      const pool = new pg.Pool({ host: '127.0.0.1', port: pgPort, user: 'postgres', password, database: db, max: 2, ssl: { ca } });
      pool.on('error', () => undefined); // a restart ends idle connections; the next query reconnects
      pools.push(pool);
      return pool;
    };
    const admin = adminPool('postgres');
    await admin.query(`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);

    const pooler = await startPgBouncer({ serverPort: pgPort, password, users: ['postgres', APP_ROLE], certs });
    bouncer = pooler;
    const bouncerPort = pooler.port;

    redis = await startTlsRedis(certs, password);
    const redisUrl = redis.url();

    // the whole chain answers before any test starts: client TLS → PgBouncer → TLS → PostgreSQL
    const probe = new pg.Client({ host: '127.0.0.1', port: bouncerPort, user: 'postgres', password, database: 'postgres', ssl: { ca } });
    await probe.connect();
    await probe.query('SELECT 1');
    await probe.end();

    const pgCluster = cluster;
    return {
      caFile: certs.caFile,
      tlsEnv: () => ({ DATABASE_CA_FILE: certs!.caFile, REDIS_CA_FILE: certs!.caFile }),
      async createDatabase() {
        const name = `orders_pooled_${randomBytes(5).toString('hex')}`;
        await admin.query(`CREATE DATABASE ${name} OWNER ${APP_ROLE}`);
        const pool = adminPool(name);
        const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await pool.query<T>(sql, params)).rows;
        const url = (port: number) => `postgres://${APP_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}?sslmode=verify-full`;
        return {
          name,
          urls: { direct: url(pgPort), pooler: url(bouncerPort) },
          query,
          advisoryLocks: async () =>
            Number(
              (
                await admin.query<{ n: string }>(
                  "SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1",
                  [name],
                )
              ).rows[0]!.n,
            ),
          drop: async () => {
            pools.splice(pools.indexOf(pool), 1);
            await pool.end();
            await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          },
        };
      },
      postgres: {
        port: pgPort,
        stop: () => pgCluster.stop(),
        start: () => pgCluster.start(),
        log: () => pgCluster.log(),
      },
      pooler: {
        port: bouncerPort,
        log: () => pooler.log(),
      },
      redis: {
        port: redis.port,
        url: redisUrl,
        client: () => {
          const client = new Redis(redisUrl, { tls: { ca }, maxRetriesPerRequest: 1 });
          redisClients.push(client);
          return client;
        },
      },
      teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/**
 * SIGTERM, then SIGKILL after graceMs: a service stuck in its shutdown (a pool that cannot close
 * through a stalled pooler) must not hang the suite. Resolves with how it ended.
 */
export async function stopService(proc: { child: ChildProcess; exited: Promise<unknown> } | undefined, graceMs = 5_000): Promise<'exited' | 'killed'> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return 'exited';
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'killed'>((resolve) => {
    timer = setTimeout(() => {
      proc.child.kill('SIGKILL');
      resolve('killed');
    }, graceMs);
  });
  const how = await Promise.race([proc.exited.then(() => 'exited' as const), killed]);
  clearTimeout(timer);
  await proc.exited;
  return how;
}

/**
 * What every pooler suite shares: one stack for the file (started before its tests, torn down after),
 * a transcript of what its processes said and answered, and tokens signed with the canary key.
 */
export function pooledSuite(): { transcript: Transcript; tokens: ReturnType<typeof createTokens>; stack: () => PooledStack } {
  const transcript = new Transcript();
  const tokens = createTokens(CANARY.secretKey);
  let stack: PooledStack | undefined;
  beforeAll(async () => {
    stack = await startPooledStack(CANARY.dbPassword);
  });
  afterAll(async () => {
    await stack?.teardown();
  });
  return { transcript, tokens, stack: () => stack! };
}
