// A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port, password authentication
// with the canary password), so a test can stop and start it without touching the shared server.
// PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.

import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, chownSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/net.js';

const run = promisify(execFile);

function binDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'initdb'))) return dir;
  throw new Error('initdb not found: install PostgreSQL (scripts/ensure-test-deps.sh does)');
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root and there is no postgres user to own the cluster');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface ThrowawayPostgres {
  port: number;
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  /** the same URL with another host, database or password, and a query string (`sslmode=…`) */
  urlWith(options: { host?: string; database?: string; password?: string; query?: string }): string;
  /** pg_ctl stop -m fast (connections are ended, the port closes), or -m immediate (the server dies at once) */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** stops it for good and removes its directory */
  destroy(): Promise<void>;
  /** the server's own log (for a failure message) */
  log(): string;
}

export interface ThrowawayPostgresOptions {
  /** PEM server certificate and key: ssl=on, and TCP clients must use TLS (hostssl in pg_hba.conf) */
  ssl?: { certFile: string; keyFile: string };
  /** listen_addresses (default 127.0.0.1); loopback only */
  listen?: string[];
}

export async function startThrowawayPostgres(password: string, settings: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const bin = binDir();
  const owner = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'orders-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  const logfile = join(dir, 'server.log');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  writeFileSync(logfile, '');
  if (owner) for (const p of [dir, pwfile, logfile]) chownSync(p, owner.uid, owner.gid);
  const exec = (cmd: string, args: string[]) => run(join(bin, cmd), args, { ...(owner ?? {}), cwd: dir, timeout: 60_000 });

  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8', '--locale=C']);
  rmSync(pwfile);
  const listen = settings.listen ?? ['127.0.0.1'];
  let tlsOptions = '';
  if (settings.ssl) {
    const [cert, key] = [join(dir, 'server.crt'), join(dir, 'server.key')];
    copyFileSync(settings.ssl.certFile, cert);
    copyFileSync(settings.ssl.keyFile, key);
    chmodSync(key, 0o600); // PostgreSQL refuses a key others can read
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, ['local all all scram-sha-256', ...listen.map((a) => `hostssl all all ${a}/32 scram-sha-256`), ''].join('\n'));
    if (owner) for (const p of [cert, key, hba]) chownSync(p, owner.uid, owner.gid);
    tlsOptions = ` -c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`;
  }
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=${listen.join(',')} -c fsync=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40${tlsOptions}`;
  const start = async () => {
    await exec('pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', logfile, '-o', options]);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await exec('pg_ctl', ['stop', '-D', data, '-w', '-t', '30', '-m', mode]);
  };
  await start();
  function urlWith(o: { host?: string; database?: string; password?: string; query?: string }): string {
    return `postgres://postgres:${encodeURIComponent(o.password ?? password)}@${o.host ?? '127.0.0.1'}:${port}/${o.database ?? 'postgres'}${o.query ? `?${o.query}` : ''}`;
  }
  return {
    port,
    url: urlWith({}),
    urlWith,
    stop: (mode) => stop(mode),
    start,
    destroy: async () => {
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : ''),
  };
}
