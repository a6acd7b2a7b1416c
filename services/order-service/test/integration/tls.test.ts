// TLS to PostgreSQL and Redis against real servers made for this file: a throwaway CA, a TLS-only
// PostgreSQL cluster (hostssl) and a TLS-only redis-server, both also on 127.0.0.2, a name their
// certificate does not carry. With the CA the service works; without it, or under the wrong name,
// it fails and the log line names the certificate error; never the password.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { QueryTypes } from 'sequelize';
import { createRedisClient } from '../../src/cache/redis-client.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/data/database.js';
import { createLogger, describeError } from '../../src/log.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../resilience/support/throwaway-postgres.js';
import { startTestService } from '../support/service.js';
import { makeTestCertificates, startTlsRedis, type TestCertificates, type TlsRedis } from '../support/tls.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const PASSWORD = `tls-canary-${randomBytes(6).toString('hex')}`;
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src');
let certs: TestCertificates;
let postgres: ThrowawayPostgres;
let redis: TlsRedis;

beforeAll(async () => {
  certs = await makeTestCertificates();
  [postgres, redis] = await Promise.all([
    startThrowawayPostgres(PASSWORD, { ssl: { certFile: certs.certFile, keyFile: certs.keyFile }, listen: ['127.0.0.1', '127.0.0.2'] }),
    startTlsRedis(certs, PASSWORD),
  ]);
}, 90_000);

afterAll(async () => {
  await postgres?.destroy();
  await redis?.stop();
  certs?.remove();
});

const databaseUrl = (query: string, options: { host?: string; database?: string; password?: string } = {}) =>
  `postgresql://postgres:${encodeURIComponent(options.password ?? PASSWORD)}@${options.host ?? '127.0.0.1'}:${postgres.port}/${options.database ?? 'postgres'}?${query}`;

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether this session's own connection is encrypted, as the server sees it. */
async function sessionUsesTls(db: Database): Promise<boolean> {
  const [row] = await db.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', { type: QueryTypes.SELECT });
  return row?.ssl === true;
}

/** The error a first query meets, described as the log serializer describes it. */
async function firstQueryFailure(url: string, caFile?: string): Promise<Record<string, unknown>> {
  const db = createDatabase({ url, caFile, connectTimeoutMs: 3000 });
  try {
    await db.query('SELECT 1');
  } catch (err) {
    return describeError(err);
  } finally {
    await db.close();
  }
  throw new Error('the query succeeded');
}

/** Runs a built entry point (as the image does) to its exit; every line it wrote. */
async function runBuilt(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const file = resolve(dist, entry);
  if (!existsSync(file)) throw new Error(`build the service first (npm run build): ${file} is missing`);
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env.PATH ?? '', ENVIRONMENT: 'test', SERVICE_HOST: '127.0.0.1', SERVICE_PORT: '0', LOG_LEVEL: 'INFO', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, output };
}

function lineWith(output: string, message: RegExp): Json {
  const line = output.split('\n').find((l) => l.startsWith('{') && message.test((JSON.parse(l) as Json).message as string));
  if (!line) throw new Error(`no log line matching ${message}:\n${output}`);
  return JSON.parse(line) as Json;
}

describe('PostgreSQL over TLS', () => {
  test('sslrootcert in the URL: verify-full against that CA, and the session is encrypted', async () => {
    const config = loadConfig({ ENVIRONMENT: 'test', DATABASE_URL: databaseUrl(`sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.caFile)}`) });
    const db = createDatabase({ url: config.databaseUrl, caFile: config.databaseCaFile });
    try {
      expect(await sessionUsesTls(db)).toBe(true);
    } finally {
      await db.close();
    }
  });

  test("uselibpqcompat=true&sslmode=require encrypts without a CA (libpq's meaning, asked for)", async () => {
    const db = createDatabase({ url: databaseUrl('uselibpqcompat=true&sslmode=require') });
    try {
      expect(await sessionUsesTls(db)).toBe(true);
    } finally {
      await db.close();
    }
  });

  test('without the CA, sslmode=require fails on the certificate, and says so', async () => {
    const described = await firstQueryFailure(databaseUrl('sslmode=require'));
    expect(described).toMatchObject({ tls: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', why: expect.stringMatching(/^TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE: /) });
    expect(JSON.stringify(described)).not.toContain(PASSWORD);
  });

  test('a host name the certificate does not carry fails with verify-full; verify-ca (libpq) checks only the CA', async () => {
    const wrongHost = await firstQueryFailure(databaseUrl('sslmode=verify-full', { host: '127.0.0.2' }), certs.caFile);
    expect(wrongHost).toMatchObject({ tls: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(String(wrongHost.why)).toContain('127.0.0.2');
    const db = createDatabase({ url: databaseUrl('uselibpqcompat=true&sslmode=verify-ca', { host: '127.0.0.2' }), caFile: certs.caFile });
    try {
      expect(await sessionUsesTls(db)).toBe(true);
    } finally {
      await db.close();
    }
  });

  test('npm run migrate: without the CA it exits 1 naming the certificate error, host:port and database; with DATABASE_CA_FILE it applies', async () => {
    const failed = await runBuilt('data/migrate-cli.js', { DATABASE_URL: databaseUrl('sslmode=require') });
    expect(failed.code).toBe(1);
    const line = lineWith(failed.output, /^migrations failed/);
    expect(line.message).toMatch(/^migrations failed: TLS UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(line.err).toMatchObject({ tls: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(line.database).toEqual({ address: `127.0.0.1:${postgres.port}`, database: 'postgres', user: 'postgres', tls: 'verify-full (CA: system)' });
    expect(failed.output).not.toContain(PASSWORD);

    const applied = await runBuilt('data/migrate-cli.js', { DATABASE_URL: databaseUrl('sslmode=require'), DATABASE_CA_FILE: certs.caFile });
    expect([applied.code, applied.output]).toEqual([0, expect.stringMatching(/"message":"(migrations applied|no pending migrations)"/)]);
  }, 60_000);

  test('start-up failures name the SQLSTATE: 28P01 for a wrong password, 3D000 for a missing database', async () => {
    const env = { DATABASE_CA_FILE: certs.caFile, SECRET_KEY: 'x'.repeat(32) };
    const wrongPassword = await runBuilt('main.js', { ...env, DATABASE_URL: databaseUrl('sslmode=require', { password: 'not-the-password' }) });
    expect(wrongPassword.code).toBe(1);
    const login = lineWith(wrongPassword.output, /^start-up failed/);
    expect(login.message).toBe('start-up failed: SQLSTATE 28P01 invalid_password: password authentication failed for user "postgres"');
    expect(login.err).toMatchObject({ sqlstate: '28P01', condition: 'invalid_password' });
    expect(login.database).toMatchObject({ address: `127.0.0.1:${postgres.port}`, tls: 'verify-full (CA: DATABASE_CA_FILE)' });
    expect(wrongPassword.output).not.toContain('not-the-password');

    const missing = await runBuilt('main.js', { ...env, DATABASE_URL: databaseUrl('sslmode=require', { database: 'no_such_db' }) });
    expect(missing.code).toBe(1);
    const line = lineWith(missing.output, /^start-up failed/);
    expect(line.err).toMatchObject({ sqlstate: '3D000', condition: 'invalid_catalog_name' });
    expect(line.database).toMatchObject({ database: 'no_such_db' });
    expect(missing.output).not.toContain(PASSWORD);
  }, 60_000);
});

describe('Redis over TLS', () => {
  function capturedLog() {
    let text = '';
    const destination = new PassThrough();
    destination.on('data', (c: Buffer) => (text += c.toString()));
    return { log: createLogger({ level: 'debug', service: 'tls-test', destination }), text: () => text };
  }

  test('rediss:// with REDIS_CA_FILE answers; without it the log names the certificate error; a wrong name fails', async () => {
    const good = createRedisClient(redis.url(), { caFile: certs.caFile, commandTimeoutMs: 2000 });
    const noCa = capturedLog();
    const untrusted = createRedisClient(redis.url(), { log: noCa.log });
    const wrongName = capturedLog();
    const misnamed = createRedisClient(redis.url('127.0.0.2'), { caFile: certs.caFile, log: wrongName.log });
    try {
      await eventually(() => good.status === 'ready');
      expect(await good.ping()).toBe('PONG');
      await eventually(() => noCa.text().includes('redis unavailable'));
      const line = JSON.parse(noCa.text().split('\n')[0]!) as Json;
      expect(line.err).toMatchObject({ tls: 'SELF_SIGNED_CERT_IN_CHAIN' }); // redis-server sends its CA in the chain
      expect(line.redis).toEqual({ address: `127.0.0.1:${redis.port}`, tls: 'verify-full (CA: system)' });
      await eventually(() => wrongName.text().includes('redis unavailable'));
      expect((JSON.parse(wrongName.text().split('\n')[0]!) as Json).err).toMatchObject({ tls: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      for (const text of [noCa.text(), wrongName.text()]) expect(text).not.toContain(PASSWORD);
    } finally {
      for (const c of [good, untrusted, misnamed]) c.disconnect();
    }
  });
});

describe('the whole service over TLS', () => {
  test('DATABASE_CA_FILE and REDIS_CA_FILE: migrations and an order on PostgreSQL, its event in the rediss:// stream', async () => {
    const svc = await startTestService({
      env: { DATABASE_URL: databaseUrl('sslmode=require'), DATABASE_CA_FILE: certs.caFile, REDIS_URL: redis.url(), REDIS_CA_FILE: certs.caFile },
    });
    const reader = new Redis(redis.url(), { tls: { ca: readFileSync(certs.caFile, 'utf8') } });
    try {
      svc.peers.cart.setCart(21, [{ productId: 2, sku: 'SKU-2', title: 'Mug', quantity: 1, price: 12.99, currency: 'USD' }]);
      const res = await fetch(`${svc.url}/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await svc.tokens.user(21)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ shipping_address: { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' } }),
      });
      expect(res.status).toBe(201);
      const order = (await res.json()) as Json;
      await eventually(async () => (await reader.xrange(svc.eventsStream, '-', '+')).some(([, fields]) => fields.includes(String(order.id))));
      expect(svc.logText()).not.toContain(PASSWORD);
    } finally {
      reader.disconnect();
      await svc.stop();
    }
  }, 60_000);
});
