// TLS for tests, made on the spot: a throwaway CA and a server certificate for 127.0.0.1 and
// localhost (openssl, EC P-256: milliseconds), and a TLS-only redis-server (with a password, or none).
// 127.0.0.2 reaches the same servers under a name the certificate does not carry.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  /** the CA's certificate (PEM): what DATABASE_CA_FILE / REDIS_CA_FILE / sslrootcert name */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** removes the directory */
  remove(): void;
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'orders-tls-'));
  const [caFile, caKey, certFile, keyFile, csr, ext] = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'server.csr', 'server.ext'].map((f) => join(dir, f)) as [
    string, string, string, string, string, string,
  ];
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir, timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=orders TLS tests throwaway CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost']);
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext]);
  rmSync(caKey); // nothing else is ever signed
  return { dir, caFile, certFile, keyFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TlsRedis {
  port: number;
  /** rediss://default:<password>@<host>:<port> (rediss://<host>:<port> without a password) */
  url(host?: string): string;
  stop(): Promise<void>;
}

const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? 'redis-server';

/** redis-server with TLS only (--port 0) on 127.0.0.1 and 127.0.0.2, ready when it says so; without `password`, no AUTH. */
export async function startTlsRedis(certs: TestCertificates, password?: string): Promise<TlsRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'orders-redis-'));
  const child = spawn(
    REDIS_SERVER,
    ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '127.0.0.2', '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile,
      '--tls-ca-cert-file', certs.caFile, '--tls-auth-clients', 'no', ...(password === undefined ? [] : ['--requirepass', password]), '--save', '', '--appendonly', 'no',
      '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 15_000;
  while (!out.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start with TLS: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    url: (host = '127.0.0.1') => `rediss://${password === undefined ? '' : `default:${encodeURIComponent(password)}@`}${host}:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
