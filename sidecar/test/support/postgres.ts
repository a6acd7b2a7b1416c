// A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port, password authentication,
// optionally ssl=on with a test CA's certificate), so a test can kill it or break its TLS without
// touching the shared server. PostgreSQL refuses to run as root: as root, the cluster belongs to the
// postgres user (as services/order-service/test/resilience/support/throwaway-postgres.ts does).

import { execFile } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestCertificates } from './certs.js';
import { freePort } from './net.js';

const run = promisify(execFile);

export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'initdb'))) return dir;
  throw new Error('initdb not found: install PostgreSQL (scripts/ensure-test-deps.sh does)');
}

/** As root, the uid/gid of the postgres user that must own clusters and PgBouncer's files. */
export function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root and there is no postgres user to own the cluster');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A temp dir owned by the postgres user (as root), for servers that refuse to run as root. */
export function ownedDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const owner = postgresUser();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Copies a file into `dir`, owned by the postgres user and readable by it alone. */
export function ownedCopy(file: string, dir: string, name: string): string {
  const to = join(dir, name);
  copyFileSync(file, to);
  const owner = postgresUser();
  if (owner) chownSync(to, owner.uid, owner.gid);
  return to;
}

export interface TestPostgres {
  port: number;
  /** postgres://postgres:<password>@<host>:<port>/postgres (host 127.0.0.1 unless given) */
  url(options?: { host?: string; database?: string; password?: string; query?: string }): string;
  /** pg_ctl stop -m immediate: the server dies at once, the port closes */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** stops it for good and removes its directory */
  destroy(): Promise<void>;
}

/** Listens on 127.0.0.1 and 127.0.0.2 (a second loopback address is a host the certificate does not name); with `tls`, TLS only. */
export async function startTestPostgres(options: { password: string; tls?: TestCertificates }): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const owner = postgresUser();
  const dir = ownedDir('sidecar-pg-');
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  const logfile = join(dir, 'server.log');
  writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
  writeFileSync(logfile, '');
  if (owner) for (const p of [pwfile, logfile]) chownSync(p, owner.uid, owner.gid);
  const exec = (cmd: string, args: string[]) => run(join(bin, cmd), args, { ...(owner ?? {}), cwd: dir, timeout: 60_000 });
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8', '--locale=C']);
  rmSync(pwfile);
  // with TLS, only TLS connections are let in: a probe that connects proves it encrypted
  writeFileSync(join(data, 'pg_hba.conf'), `local all all scram-sha-256\n${options.tls ? 'hostssl' : 'host'} all all 127.0.0.0/8 scram-sha-256\n`);
  const ssl = options.tls
    ? `-c ssl=on -c ssl_cert_file=${ownedCopy(options.tls.certFile, dir, 'server.crt')} -c ssl_key_file=${ownedCopy(options.tls.keyFile, dir, 'server.key')}`
    : '';
  const port = await freePort();
  const args = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1,127.0.0.2 -c fsync=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=20 ${ssl}`;
  const start = async () => {
    await exec('pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', logfile, '-o', args]).catch((err: Error) => {
      throw new Error(`${err.message}\n${readFileSync(logfile, 'utf8')}`);
    });
  };
  const stop = async (mode: string) => {
    await exec('pg_ctl', ['stop', '-D', data, '-w', '-t', '30', '-m', mode]);
  };
  await start();
  return {
    port,
    url: (o = {}) =>
      `postgres://postgres:${encodeURIComponent(o.password ?? options.password)}@${o.host ?? '127.0.0.1'}:${port}/${o.database ?? 'postgres'}${o.query ? `?${o.query}` : ''}`,
    kill: () => stop('immediate'),
    start,
    destroy: async () => {
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
