// PgBouncer in transaction pool mode (as Neon's pooled endpoint) and redis-server with TLS, as
// child processes of the test on free ports.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCertificates } from './certs.js';
import { freePort, until } from './net.js';
import { ownedCopy, ownedDir, postgresUser } from './postgres.js';

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.once('close', () => socket.destroy());
    socket.setTimeout(500, () => socket.destroy());
  });

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

export interface ChildServer {
  port: number;
  stop(): Promise<void>;
  /** what the server printed (for a failure message) */
  output(): string;
}

/**
 * PgBouncer 1.18 (Debian's /usr/sbin/pgbouncer), pool_mode=transaction, TLS required from clients
 * and verified towards the server, server_login_retry of 1 s so recovery shows quickly.
 */
export async function startPgBouncer(options: { serverPort: number; password: string; tls: TestCertificates }): Promise<ChildServer> {
  const dir = ownedDir('sidecar-pgbouncer-');
  const port = await freePort();
  const owner = postgresUser();
  const own = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    if (owner) chownSync(join(dir, name), owner.uid, owner.gid);
    return join(dir, name);
  };
  const userlist = own('userlist.txt', `"postgres" "${options.password}"\n`);
  const ini = own(
    'pgbouncer.ini',
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
      'server_login_retry = 1',
      'ignore_startup_parameters = extra_float_digits',
      'client_tls_sslmode = require',
      `client_tls_cert_file = ${ownedCopy(options.tls.certFile, dir, 'server.crt')}`,
      `client_tls_key_file = ${ownedCopy(options.tls.keyFile, dir, 'server.key')}`,
      'server_tls_sslmode = verify-full',
      `server_tls_ca_file = ${ownedCopy(options.tls.caFile, dir, 'ca.crt')}`,
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/pgbouncer', [ini], { ...(owner ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await until(() => child.exitCode === null && accepts(port), 10_000, `pgbouncer listening (${output})`);
  return {
    port,
    output: () => output,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-server with TLS only (port 0 for plain text), on 127.0.0.1 and 127.0.0.2. */
export async function startTlsRedis(tls: TestCertificates): Promise<ChildServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1 127.0.0.2', '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
      '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await until(() => child.exitCode === null && accepts(port), 10_000, `redis-server listening (${output})`);
  return {
    port,
    output: () => output,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
