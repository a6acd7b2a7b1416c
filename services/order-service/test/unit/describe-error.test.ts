// What a log line says about a failure: the cause found inside Sequelize's and ioredis's wrappers,
// with SQLSTATE names, TLS codes, errno and address, and never a password or a row value.
import { PassThrough } from 'node:stream';
import { describeCause, maskSecrets, sqlstateName } from '../../src/describe-error.js';
import { createLogger, describeError } from '../../src/log.js';
import type { Outbox } from '../../src/data/outbox.js';
import { createOutboxRelay } from '../../src/orders/outbox-relay.js';

/** What Sequelize throws: its own class around pg's error (kept as both parent and original). */
function sequelizeWrapped(name: string, inner: Error): Error {
  const outer = new Error(inner.message);
  outer.name = name;
  return Object.assign(outer, { parent: inner, original: inner });
}

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

describe('describeCause', () => {
  it('names the SQLSTATE and its condition for the classes operators meet', () => {
    expect(sqlstateName('3D000')).toBe('invalid_catalog_name');
    expect(sqlstateName('28P01')).toBe('invalid_password');
    expect(sqlstateName('08P01')).toBe('protocol_violation');
    expect(sqlstateName('57P03')).toBe('cannot_connect_now');
    expect(sqlstateName('53300')).toBe('too_many_connections');
    // a code newer than the table falls back to its class's name
    expect(sqlstateName('08Z99')).toBe('connection_exception');
  });

  it('finds the SQLSTATE under Sequelize and keeps the connection-level server text', () => {
    const err = sequelizeWrapped('SequelizeConnectionError', pgError('28P01', 'password authentication failed for user "orders"'));
    expect(describeCause(err)).toEqual({
      why: 'SQLSTATE 28P01 invalid_password: password authentication failed for user "orders"',
      sqlstate: '28P01',
      condition: 'invalid_password',
    });
    const pooler = sequelizeWrapped('SequelizeConnectionError', pgError('08P01', 'server login has been failing, try again later (server_login_retry)'));
    expect(describeCause(pooler)?.why).toBe('SQLSTATE 08P01 protocol_violation: server login has been failing, try again later (server_login_retry)');
    expect(describeCause(pgError('3D000', 'database "orders" does not exist'))?.why).toBe('SQLSTATE 3D000 invalid_catalog_name: database "orders" does not exist');
  });

  it('drops the server text of statement errors, which can quote values', () => {
    const err = sequelizeWrapped('SequelizeDatabaseError', pgError('22P02', 'invalid input syntax for type integer: "4111111111111111"'));
    const cause = describeCause(err);
    expect(cause).toEqual({ why: 'SQLSTATE 22P02 invalid_text_representation', sqlstate: '22P02', condition: 'invalid_text_representation' });
    expect(JSON.stringify(cause)).not.toContain('4111');
  });

  it('gives the TLS reason code of a certificate failure', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(describeCause(sequelizeWrapped('SequelizeConnectionError', tls))).toEqual({
      why: 'TLS SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain',
      tls: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    const host = Object.assign(new Error("Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1"), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(describeCause(host)?.tls).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const leaf = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(describeCause({ cause: leaf })?.tls).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('gives the errno and the address of a refused connection, also inside an AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 5432 });
    expect(describeCause(sequelizeWrapped('SequelizeConnectionRefusedError', refused))).toEqual({
      why: 'ECONNREFUSED 127.0.0.1:5432',
      errno: 'ECONNREFUSED',
      address: '127.0.0.1:5432',
    });
    const both = new AggregateError([refused], '');
    expect(describeCause(both)?.errno).toBe('ECONNREFUSED');
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND db.example'), { code: 'ENOTFOUND', hostname: 'db.example' });
    expect(describeCause(dns)?.why).toBe('ENOTFOUND db.example');
  });

  it("keeps the driver's connection messages and Redis's reply word, not other text", () => {
    expect(describeCause(new Error('The server does not support SSL connections'))?.why).toBe('The server does not support SSL connections');
    expect(describeCause(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toEqual({ why: 'Redis WRONGPASS', redis: 'WRONGPASS' });
    expect(describeCause(new Error('Unexpected token in JSON: {"card":"4111"}'))).toBeUndefined();
  });

  it('never shows a password, even where a message quotes a URL', () => {
    const err = new Error('connection to postgresql://orders:s3cr%21t@db.example:5432/orders failed');
    const text = JSON.stringify(describeCause(err));
    expect(text).not.toContain('s3cr');
    expect(text).toContain('postgresql://orders:***@db.example:5432/orders');
    expect(maskSecrets('rediss://default:AbCd@eu1.upstash.io:6379')).toBe('rediss://default:***@eu1.upstash.io:6379');
  });
});

describe("the logger's err serializer", () => {
  it('adds the cause to the class and code', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const outer = sequelizeWrapped('SequelizeConnectionError', tls);
    expect(describeError(outer)).toEqual({
      class: 'Error',
      why: 'TLS SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain',
      tls: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
  });
});

describe('the outbox relay', () => {
  it("logs why a pass failed (the pooler's 08P01), not only an error class", async () => {
    let text = '';
    const destination = new PassThrough();
    destination.on('data', (c: Buffer) => (text += c.toString()));
    const log = createLogger({ level: 'warn', service: 'relay-test', destination });
    const failing = sequelizeWrapped('SequelizeConnectionError', pgError('08P01', 'server login has been failing, try again later (server_login_retry)'));
    const outbox = { claimDue: () => Promise.reject(failing) } as unknown as Outbox;
    const relay = createOutboxRelay({ outbox, publisher: null, cart: { getLines: async () => [], clear: async () => undefined }, shopperToken: () => '', intervalMs: 10, log });
    relay.start();
    try {
      const deadline = Date.now() + 5000;
      while (!text.includes('outbox relay pass failed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await relay.stop();
    }
    const line = JSON.parse(text.split('\n')[0]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ sqlstate: '08P01', condition: 'protocol_violation', why: expect.stringContaining('server_login_retry') });
  });
});
