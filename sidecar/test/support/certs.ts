// A throwaway CA and a server certificate signed by it, made with openssl in a temp dir, so TLS
// tests verify a real chain without touching the machine's trust store.

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  /** the CA's certificate (PEM): what a client must be given to trust the server */
  caFile: string;
  certFile: string;
  keyFile: string;
  remove(): void;
}

/** `altNames` in openssl's subjectAltName syntax, e.g. ['IP:127.0.0.1']. */
export async function makeCertificates(altNames: string[]): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-tls-'));
  const p = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=sidecar test CA']);
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=sidecar test server']);
  const ext = `subjectAltName=${altNames.join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`;
  writeFileSync(p('server.ext'), ext);
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), '-days', '2', '-extfile', p('server.ext')]);
  chmodSync(p('server.key'), 0o600); // PostgreSQL refuses a key others can read
  return { dir, caFile: p('ca.crt'), certFile: p('server.crt'), keyFile: p('server.key'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
