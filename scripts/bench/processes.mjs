// The bench's processes: free ports, a child that counts as started once a URL answers 200, RSS and
// CPU time from /proc, PgBouncer in transaction mode with TLS from clients, a Kubernetes API stand-in.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const children = [];

export const freePort = async () => {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
};

export async function start(args, env, readyUrl) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 200; i++) {
    if ((await fetch(readyUrl).then((r) => r.status, () => 0)) === 200) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`did not start: ${args.join(' ')}`);
}

export const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

// CPU time a process used (user + system, clock ticks of 10 ms): per request it depends far less on
// what else the shared machine runs than req/s does
export const cpuTicks = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0);

/**
 * PgBouncer (Debian's) in transaction pool mode in front of the PostgreSQL at `server`, TLS required
 * from clients with the certificate of `certs`; as root it drops to the postgres user (it refuses root).
 */
export async function startPgBouncer({ server, certs, poolSize }) {
  const dir = mkdtempSync(join(tmpdir(), 'orders-bench-pgbouncer-'));
  const owner = process.getuid?.() === 0 ? readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))?.split(':') : undefined;
  const port = await freePort();
  const file = (name, text, mode = 0o644) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    if (owner) chownSync(path, Number(owner[2]), Number(owner[3]));
    return path;
  };
  if (owner) chownSync(dir, Number(owner[2]), Number(owner[3]));
  const cert = file('server.crt', readFileSync(certs.certFile));
  const key = file('server.key', readFileSync(certs.keyFile), 0o600);
  const users = file('userlist.txt', `"${server.user}" ""\n`, 0o600);
  const ini = file('pgbouncer.ini', [
    '[databases]', `* = host=${server.host} port=${server.port}`,
    '[pgbouncer]', 'listen_addr = 127.0.0.1', `listen_port = ${port}`, 'unix_socket_dir =',
    'auth_type = trust', `auth_file = ${users}`, 'pool_mode = transaction', 'max_client_conn = 500',
    `default_pool_size = ${poolSize}`, 'ignore_startup_parameters = extra_float_digits',
    'client_tls_sslmode = require', `client_tls_cert_file = ${cert}`, `client_tls_key_file = ${key}`, '',
  ].join('\n'));
  const child = spawn('pgbouncer', [...(owner ? ['-u', 'postgres'] : []), ini], { stdio: 'ignore' });
  children.push(child);
  const ssl = { ca: readFileSync(certs.caFile), servername: 'localhost' };
  for (let i = 0; ; i++) {
    const probe = new pg.Client({ host: '127.0.0.1', port, user: server.user, database: 'postgres', ssl });
    try {
      await probe.connect();
      await probe.query('SELECT 1');
      await probe.end();
      break;
    } catch (err) {
      await probe.end().catch(() => undefined);
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { port, stop: () => (child.kill('SIGTERM'), rmSync(dir, { recursive: true, force: true })) };
}

/** The Kubernetes API as the sidecar uses it: a strategic merge patch of the pod's status, Events. */
export async function startKubeApi() {
  const server = createHttpServer(async (req, res) => {
    for await (const _ of req);
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end('{"kind":"Status","status":"Success"}');
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const dir = mkdtempSync(join(tmpdir(), 'orders-bench-kube-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${server.address().port}"}}]\nusers: [{name: u, user: {token: bench}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
  return { env: { KUBECONFIG: kubeconfig, POD_NAME: 'orders-bench', POD_NAMESPACE: 'bench', POD_UID: 'uid-bench' }, close: () => (server.close(), rmSync(dir, { recursive: true, force: true })) };
}
