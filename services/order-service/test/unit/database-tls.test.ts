// How DATABASE_URL's TLS words, DATABASE_CA_FILE and REDIS_CA_FILE are read: node-postgres's
// verifying reading of sslmode, libpq's only when asked, and start-up errors naming the variable.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/data/database.js';
import { databaseTarget, readDatabaseTls } from '../../src/data/database-tls.js';
import { redisTarget, redisTls } from '../../src/cache/redis-client.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls.js';

const BASE = 'postgresql://orders:pw-9f3k@db.example.internal:5432/orders';

let certs: TestCertificates;
let ca: string;
beforeAll(async () => {
  certs = await makeTestCertificates();
  ca = readFileSync(certs.caFile, 'utf8');
});
afterAll(() => certs.remove());

describe('readDatabaseTls', () => {
  it.each(['prefer', 'require', 'verify-ca', 'verify-full'])('sslmode=%s verifies the certificate and the host (system CAs)', (mode) => {
    const tls = readDatabaseTls(`${BASE}?sslmode=${mode}`);
    expect(tls).toMatchObject({ mode: 'verify-full', ca: 'system', ssl: {} });
    expect(tls.ssl && tls.ssl.rejectUnauthorized).not.toBe(false);
    expect(tls.ssl && tls.ssl.checkServerIdentity).toBeUndefined();
  });

  it('no sslmode or sslmode=disable: plain TCP, and DATABASE_CA_FILE does not turn TLS on', () => {
    expect(readDatabaseTls(BASE, { caFile: certs.caFile })).toMatchObject({ ssl: false, mode: 'off' });
    expect(readDatabaseTls(`${BASE}?sslmode=disable`, { caFile: certs.caFile })).toMatchObject({ ssl: false, mode: 'off' });
  });

  it('sslrootcert in the URL names the CA; DATABASE_CA_FILE is used only when the URL names none', () => {
    const fromUrl = readDatabaseTls(`${BASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.caFile)}`, { caFile: '/nonexistent/ca.pem' });
    expect(fromUrl).toMatchObject({ mode: 'verify-full', ca: 'sslrootcert', ssl: { ca } });
    const fromEnv = readDatabaseTls(`${BASE}?sslmode=require`, { caFile: certs.caFile });
    expect(fromEnv).toMatchObject({ mode: 'verify-full', ca: 'DATABASE_CA_FILE', ssl: { ca } });
  });

  it("libpq's weaker meanings only with uselibpqcompat=true", () => {
    expect(readDatabaseTls(`${BASE}?uselibpqcompat=true&sslmode=require`)).toMatchObject({ mode: 'encrypt-only', ssl: { rejectUnauthorized: false } });
    // libpq: require with a root certificate is verify-ca (certificate checked, host name not)
    const withCa = readDatabaseTls(`${BASE}?uselibpqcompat=true&sslmode=require`, { caFile: certs.caFile });
    expect(withCa).toMatchObject({ mode: 'verify-ca', ssl: { ca } });
    expect(readDatabaseTls(`${BASE}?uselibpqcompat=true&sslmode=verify-full`).mode).toBe('verify-full');
    expect(readDatabaseTls(`${BASE}?uselibpqcompat=true&sslmode=disable`).mode).toBe('off');
  });

  it('the URL given to Sequelize keeps no TLS or libpq-only parameter, and Sequelize keeps our ssl option', async () => {
    const url = `${BASE}?sslmode=require&sslrootcert=${encodeURIComponent(certs.caFile)}&uselibpqcompat=false&channel_binding=require&options=-c%20x%3D1&application_name=orders`;
    const tls = readDatabaseTls(url);
    expect(new URL(tls.url).search).toBe('?application_name=orders');
    const db = createDatabase({ url });
    try {
      const dialectOptions = (db as unknown as { options: { dialectOptions: Record<string, unknown> } }).options.dialectOptions;
      expect(dialectOptions.ssl).toEqual(tls.ssl);
      for (const p of ['sslmode', 'sslrootcert', 'uselibpqcompat', 'channel_binding', 'options']) expect(dialectOptions).not.toHaveProperty(p);
    } finally {
      await db.close();
    }
  });

  it("databaseTarget and redisTarget say where and how, never the password", () => {
    const target = databaseTarget(`${BASE}?sslmode=require`, certs.caFile);
    expect(target).toEqual({ address: 'db.example.internal:5432', database: 'orders', user: 'orders', tls: 'verify-full (CA: DATABASE_CA_FILE)' });
    expect(databaseTarget('postgresql://orders:pw-9f3k@db/orders?sslmode=require&uselibpqcompat=true').tls).toBe('encrypt-only');
    expect(JSON.stringify(target)).not.toContain('pw-9f3k');
    expect(redisTarget('rediss://default:tok-77@eu1-x.upstash.io:6379')).toEqual({ address: 'eu1-x.upstash.io:6379', tls: 'verify-full (CA: system)' });
    expect(redisTarget('redis://127.0.0.1:6379')).toEqual({ address: '127.0.0.1:6379', tls: 'off' });
  });

  it('rediss:// gets TLS with SNI and REDIS_CA_FILE; redis:// none', () => {
    expect(redisTls('redis://127.0.0.1:6379', certs.caFile)).toBeUndefined();
    expect(redisTls('rediss://default:x@eu1-x.upstash.io:6379')).toEqual({ servername: 'eu1-x.upstash.io' });
    expect(redisTls('rediss://default:x@127.0.0.1:6380', certs.caFile)).toEqual({ ca });
  });
});

describe('loadConfig: CA files are read at start-up', () => {
  const env = (extra: Record<string, string>) => ({ ENVIRONMENT: 'test', DATABASE_URL: `${BASE}?sslmode=require`, ...extra });
  const problems = (extra: Record<string, string>): string => {
    try {
      loadConfig(env(extra));
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('loadConfig accepted it');
  };

  it('accepts readable PEM bundles and keeps their paths', () => {
    const config = loadConfig(env({ DATABASE_CA_FILE: certs.caFile, REDIS_CA_FILE: certs.caFile, REDIS_URL: 'rediss://default:x@127.0.0.1:6380' }));
    expect(config.databaseCaFile).toBe(certs.caFile);
    expect(config.redisCaFile).toBe(certs.caFile);
  });

  it('names the variable and the reason, never the path or the content', () => {
    const missing = join(certs.dir, 'mounted-nowhere', 'ca.crt');
    const directory = join(certs.dir, 'a-directory');
    mkdirSync(directory, { recursive: true });
    const notPem = join(certs.dir, 'not-a-cert.pem');
    writeFileSync(notPem, 'this-is-no-certificate-content');

    const text = problems({ DATABASE_CA_FILE: missing, REDIS_CA_FILE: directory });
    expect(text).toContain('DATABASE_CA_FILE cannot be read (ENOENT)');
    expect(text).toContain('REDIS_CA_FILE cannot be read (EISDIR)');
    expect(text.split('\n')).toHaveLength(1);
    expect(problems({ DATABASE_CA_FILE: notPem })).toContain('DATABASE_CA_FILE holds no PEM certificate');
    const rootcert = problems({ DATABASE_URL: `${BASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(missing)}` });
    expect(rootcert).toContain('DATABASE_URL sslrootcert cannot be read (ENOENT)');
    for (const t of [text, rootcert]) {
      expect(t).not.toContain(certs.dir);
      expect(t).not.toContain('this-is-no-certificate-content');
      expect(t).not.toContain('pw-9f3k');
    }
  });

  it('rejects an unknown sslmode, and verify-ca in libpq mode without a CA', () => {
    expect(problems({ DATABASE_URL: `${BASE}?sslmode=verify` })).toContain('DATABASE_URL sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, no-verify');
    expect(problems({ DATABASE_URL: `${BASE}?uselibpqcompat=true&sslmode=verify-ca` })).toContain(
      'DATABASE_URL sslmode=verify-ca with uselibpqcompat=true needs sslrootcert or DATABASE_CA_FILE',
    );
    expect(loadConfig(env({ DATABASE_URL: `${BASE}?uselibpqcompat=true&sslmode=verify-ca`, DATABASE_CA_FILE: certs.caFile })).databaseCaFile).toBe(certs.caFile);
  });

  it('the old ssl=false form means no TLS, not an unknown mode', () => {
    expect(loadConfig(env({ DATABASE_URL: 'postgresql+asyncpg://orders:pw@db/orders?ssl=false' })).databaseUrl).toBe('postgresql://orders:pw@db/orders?sslmode=disable');
  });
});
