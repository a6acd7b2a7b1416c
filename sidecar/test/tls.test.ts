// Probes over TLS with a private CA (made here with openssl), through a transaction-mode pooler, and
// what the results and log lines say when they fail: a TLS PostgreSQL cluster of the test's own
// (TLS-only pg_hba), PgBouncer in front of it, and redis-server with --tls-port.
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSidecarConfig } from '../src/config.js';
import { startSidecar } from '../src/main.js';
import { captureLogs } from './support/logs.js';
import { until } from '../../services/order-service/test/resilience/support/harness.js';
import { startPgBouncer, type PgBouncer } from '../../services/order-service/test/resilience/support/pooled-stack.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../services/order-service/test/resilience/support/throwaway-postgres.js';
import { makeTestCertificates, startTlsRedis, type TestCertificates, type TlsRedis } from '../../services/order-service/test/support/tls.js';

const PASSWORD = 'canary-Tls-91c2';
const SHARED_PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const base = { SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: '0', LOG_LEVEL: 'INFO', PROBE_INTERVAL_SECONDS: '60' };

/** One sidecar's first round with `env`: the served results of `dependency` and the log lines. */
async function firstRound(env: Record<string, string>, dependency: 'postgres' | 'redis') {
  const logs = captureLogs();
  const sidecar = await startSidecar(loadSidecarConfig({ ...base, ...env }), { logDestination: logs.stream });
  try {
    const body = (await (await fetch(`${sidecar.url}/v1/results`)).json()) as { dependencies: Record<string, Record<string, unknown>> };
    const failure = logs.lines().find((l) => String(l.message).startsWith(`${dependency} probe failed`)) ?? null;
    return { result: body.dependencies[dependency]!, failure, logText: logs.text() };
  } finally {
    await sidecar.stop();
  }
}

let certs: TestCertificates;
let db: ThrowawayPostgres;
let bouncer: PgBouncer;
let redis: TlsRedis;

beforeAll(async () => {
  certs = await makeTestCertificates();
  db = await startThrowawayPostgres(PASSWORD, { ssl: certs, listen: ['127.0.0.1', '127.0.0.2'] });
  [bouncer, redis] = await Promise.all([startPgBouncer({ serverPort: db.port, password: PASSWORD, certs, loginRetrySeconds: 1 }), startTlsRedis(certs)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([bouncer?.stop(), redis?.stop()]);
  await db?.destroy();
  certs?.remove();
});

describe('PostgreSQL over TLS (read from the URL as node-postgres reads it)', () => {
  test('DATABASE_CA_FILE or sslrootcert in the URL: connected; sslmode=require verifies the certificate', async () => {
    expect((await firstRound({ DATABASE_URL: db.urlWith({ query: 'sslmode=require' }), DATABASE_CA_FILE: certs.caFile }, 'postgres')).result).toMatchObject({
      status: 'connected',
      details: { database: 'postgres' },
    });
    const rootcert = await firstRound({ DATABASE_URL: db.urlWith({ query: `sslmode=verify-full&sslrootcert=${certs.caFile}` }) }, 'postgres');
    expect(rootcert.result).toMatchObject({ status: 'connected' });
  });

  test('no CA: failed with reason tls, and the log line names the certificate error, host:port and database', async () => {
    const { result, failure, logText } = await firstRound({ DATABASE_URL: db.urlWith({ query: 'sslmode=require' }) }, 'postgres');
    expect(result).toMatchObject({ status: 'failed', reason: 'tls' });
    expect(failure).toMatchObject({ reason: 'tls', tls: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/), target: `127.0.0.1:${db.port}`, database: 'postgres' });
    expect(String(failure!.message)).toMatch(/(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN).*127\.0\.0\.1:\d+, database postgres/);
    expect(logText).not.toContain(PASSWORD);
  });

  test('a host the certificate does not name: tls (ERR_TLS_CERT_ALTNAME_INVALID) with verify-full and with node-postgres\'s sslmode=require', async () => {
    for (const mode of ['verify-full', 'require']) {
      const { result, failure } = await firstRound({ DATABASE_URL: db.urlWith({ host: '127.0.0.2', query: `sslmode=${mode}` }), DATABASE_CA_FILE: certs.caFile }, 'postgres');
      expect(result).toMatchObject({ status: 'failed', reason: 'tls' });
      expect(failure).toMatchObject({ tls: 'ERR_TLS_CERT_ALTNAME_INVALID', target: `127.0.0.2:${db.port}` });
    }
  });

  test('uselibpqcompat=true: require encrypts without verifying; verify-ca takes DATABASE_CA_FILE as its root certificate and skips the host', async () => {
    // the cluster lets in TLS connections only (hostssl): connected means encrypted
    expect((await firstRound({ DATABASE_URL: db.urlWith({ host: '127.0.0.2', query: 'uselibpqcompat=true&sslmode=require' }) }, 'postgres')).result).toMatchObject({
      status: 'connected',
    });
    const verifyCa = await firstRound({ DATABASE_URL: db.urlWith({ host: '127.0.0.2', query: 'uselibpqcompat=true&sslmode=verify-ca' }), DATABASE_CA_FILE: certs.caFile }, 'postgres');
    expect(verifyCa.result).toMatchObject({ status: 'connected' });
  });

  test('DATABASE_CA_FILE does not turn TLS on: a URL without sslmode is refused by a TLS-only server, with its SQLSTATE', async () => {
    const { result, failure } = await firstRound({ DATABASE_URL: db.url, DATABASE_CA_FILE: certs.caFile }, 'postgres');
    expect(result).toMatchObject({ status: 'failed', reason: 'auth' });
    expect(failure).toMatchObject({ sqlstate: '28000', sqlstate_name: 'invalid_authorization_specification' });
    expect(String(failure!.message)).toContain('no encryption');
  });

  test('a wrong password is 28P01 invalid_password (reason auth), a missing database 3D000 invalid_catalog_name; never the password', async () => {
    const wrong = 'canary-Wrong-55e1';
    const auth = await firstRound({ DATABASE_URL: db.urlWith({ password: wrong, query: 'sslmode=verify-full' }), DATABASE_CA_FILE: certs.caFile }, 'postgres');
    expect(auth.result).toMatchObject({ status: 'failed', reason: 'auth' });
    expect(String(auth.failure!.message)).toContain('28P01 invalid_password');
    expect(auth.logText).not.toContain(wrong);
    const missing = await firstRound({ DATABASE_URL: db.urlWith({ database: 'no_such_db', query: 'sslmode=verify-full' }), DATABASE_CA_FILE: certs.caFile }, 'postgres');
    expect(missing.result).toMatchObject({ status: 'failed' });
    expect(missing.failure).toMatchObject({ sqlstate: '3D000', sqlstate_name: 'invalid_catalog_name', database: 'no_such_db' });
    expect(missing.logText).not.toContain(PASSWORD);
  });

  test('through PgBouncer in transaction mode over TLS: connected, probe after probe', async () => {
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${bouncer.port}/postgres?sslmode=verify-full`;
    const logs = captureLogs();
    const sidecar = await startSidecar(loadSidecarConfig({ ...base, DATABASE_URL: url, DATABASE_CA_FILE: certs.caFile }), { logDestination: logs.stream });
    try {
      sidecar.scheduler.stop(); // driven by hand: consecutive probes land on whatever server session the pooler picks
      for (let i = 0; i < 5; i++) await sidecar.scheduler.probeOne('postgres');
      expect(sidecar.snapshot().dependencies.postgres).toMatchObject({ status: 'connected', consecutive_failures: 0 });
      expect(logs.text()).not.toContain('probe failed');
    } finally {
      await sidecar.stop();
    }
  });

  test('an sslrootcert that cannot be read: failed with reason tls, naming the file; a URL that does not parse: protocol', async () => {
    const { result, failure } = await firstRound({ DATABASE_URL: db.urlWith({ query: 'sslmode=verify-full&sslrootcert=/nonexistent/ca.pem' }) }, 'postgres');
    expect(result).toMatchObject({ status: 'failed', reason: 'tls' });
    expect(String(failure!.message)).toContain('/nonexistent/ca.pem');
    // a URL that does not parse is not a TLS problem, and its password stays out of the log
    const broken = await firstRound({ DATABASE_URL: `postgres://postgres:${PASSWORD}@[127.0.0.1:${db.port}/postgres?sslmode=require`, DATABASE_CA_FILE: certs.caFile }, 'postgres');
    expect(broken.result).toMatchObject({ status: 'failed', reason: 'protocol' });
    expect(broken.logText).not.toContain(PASSWORD);
  });
});

describe('the PostgreSQL probe uses no session state', () => {
  test('one simple-protocol query on a fresh connection: no Parse message (no prepared statement of any name), no SET', async () => {
    const target = new URL(SHARED_PG);
    const upstream = { port: Number(target.port || 5432), host: target.hostname };
    const messages: Array<{ type: string; text: string }> = [];
    const sockets: Socket[] = [];
    // a TCP relay that reads the client's side of the wire protocol
    const relay = createServer((client) => {
      const server = connect(upstream.port, upstream.host);
      sockets.push(client, server);
      let buffer = Buffer.alloc(0);
      let started = false;
      client.on('data', (chunk: Buffer) => {
        server.write(chunk);
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          if (!started) {
            if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) break;
            buffer = buffer.subarray(buffer.readInt32BE(0)); // the startup message has no type byte
            started = true;
            continue;
          }
          if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) break;
          const length = buffer.readInt32BE(1);
          messages.push({ type: String.fromCharCode(buffer[0]!), text: buffer.subarray(5, 1 + length).toString('utf8').replace(/\0+$/, '') });
          buffer = buffer.subarray(1 + length);
        }
      });
      server.on('data', (chunk: Buffer) => client.write(chunk));
      for (const [a, b] of [[client, server], [server, client]] as const) {
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
      }
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    target.host = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
    let result: Record<string, unknown>;
    try {
      ({ result } = await firstRound({ DATABASE_URL: target.toString() }, 'postgres'));
      await until(() => messages.some((m) => m.type === 'X'), 5000, 'the probe closing its connection (Terminate)');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
    expect(result).toMatchObject({ status: 'connected' });
    const types = messages.map((m) => m.type).filter((t) => t !== 'p'); // p: the password answer
    expect(types).toEqual(['Q', 'X']); // one Query, then Terminate
    expect(messages.find((m) => m.type === 'Q')!.text).toMatch(/^SELECT current_setting\('server_version'\)/);
  });
});

describe('Redis over TLS (rediss://)', () => {
  test('REDIS_CA_FILE given: connected; none: failed with reason tls and the certificate error in the log (not "Connection is closed")', async () => {
    expect((await firstRound({ REDIS_URL: `rediss://127.0.0.1:${redis.port}`, REDIS_CA_FILE: certs.caFile }, 'redis')).result).toMatchObject({
      status: 'connected',
      details: { version: expect.any(String) },
    });
    const secret = 'canary-Redis-0d4e';
    const { result, failure, logText } = await firstRound({ REDIS_URL: `rediss://:${secret}@127.0.0.1:${redis.port}` }, 'redis');
    expect(result).toMatchObject({ status: 'failed', reason: 'tls' });
    expect(failure).toMatchObject({ reason: 'tls', tls: 'SELF_SIGNED_CERT_IN_CHAIN', target: `127.0.0.1:${redis.port}` });
    expect(String(failure!.message)).not.toContain('Connection is closed');
    expect(logText).not.toContain(secret);
  });

  test('a host the certificate does not name: tls (ERR_TLS_CERT_ALTNAME_INVALID)', async () => {
    const { result, failure } = await firstRound({ REDIS_URL: `rediss://127.0.0.2:${redis.port}`, REDIS_CA_FILE: certs.caFile }, 'redis');
    expect(result).toMatchObject({ status: 'failed', reason: 'tls' });
    expect(failure).toMatchObject({ tls: 'ERR_TLS_CERT_ALTNAME_INVALID', target: `127.0.0.2:${redis.port}` });
  });
});

describe('CA settings', () => {
  test('DATABASE_CA_FILE and REDIS_CA_FILE that cannot be read or hold no certificate stop start-up naming the variable', () => {
    const notPem = join(certs.dir, 'not-a-certificate.txt');
    writeFileSync(notPem, 'hello');
    expect(() => loadSidecarConfig({ DATABASE_CA_FILE: '/nonexistent/ca.pem' })).toThrow(/DATABASE_CA_FILE cannot be read \(ENOENT: \/nonexistent\/ca\.pem\)/);
    expect(() => loadSidecarConfig({ REDIS_CA_FILE: notPem })).toThrow(/REDIS_CA_FILE holds no PEM certificate/);
    const config = loadSidecarConfig({ DATABASE_CA_FILE: certs.caFile, REDIS_CA_FILE: certs.caFile });
    expect(config.dependencies.find((d) => d.name === 'postgres')!.ca).toMatchObject({ file: certs.caFile });
    expect(config.dependencies.find((d) => d.name === 'redis')!.ca!.pem).toContain('BEGIN CERTIFICATE');
    expect(config.dependencies.find((d) => d.name === 'cart-service')!.ca).toBeNull();
  });
});
