// What every resilience test shares: recognisable secrets (a canary SECRET_KEY and database password
// that must never appear in a response, a log line or a metric), a transcript of everything the
// processes wrote and every response they gave, PostgreSQL databases reached with a password, and
// the built service and sidecar as real processes.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { WebSocket } from 'ws';
import { once } from 'node:events';
import { TEST_DATABASE_URL } from '../../support/db.js';
import { startServiceProcess, type ServiceProcess } from '../../support/process.js';

const here = dirname(fileURLToPath(import.meta.url));
const sidecarEntry = resolve(here, '../../../../../sidecar/dist/main.js');

/** Heavy variants (longer load, more fuzz cases, more crashes): RESILIENCE_HEAVY=1. */
export const HEAVY = process.env.RESILIENCE_HEAVY === '1';

/** Unique per run, so a hit cannot come from anything but this run's configuration. */
export const CANARY = {
  secretKey: `canary-secret-${randomBytes(12).toString('hex')}`,
  dbPassword: `canary-pw-${randomBytes(12).toString('hex')}`,
};

/** Everything the processes under test said and answered, checked for the canaries at the end. */
export class Transcript {
  private readonly parts: Array<{ source: string; text: string }> = [];
  private readonly sources: Array<{ source: string; text: () => string }> = [];

  add(source: string, text: string): void {
    this.parts.push({ source, text });
  }

  /** a live source (a process's output) read when the transcript is checked */
  follow(source: string, text: () => string): void {
    this.sources.push({ source, text });
  }

  /** fetch that records status, headers and body of every response */
  async fetch(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; json: <T = Record<string, unknown>>() => T }> {
    const res = await fetch(url, init);
    const text = await res.text();
    this.add(`response ${init.method ?? 'GET'} ${new URL(url).pathname}`, `${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`);
    return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
  }

  /** the places where a canary appears (empty when nothing leaked), and how much text was checked */
  leaks(secrets: string[] = [CANARY.secretKey, CANARY.dbPassword]): { found: string[]; checkedChars: number; sources: number } {
    const all = [...this.parts, ...this.sources.map((s) => ({ source: s.source, text: s.text() }))];
    const found: string[] = [];
    let checkedChars = 0;
    for (const { source, text } of all) {
      checkedChars += text.length;
      for (const secret of secrets) {
        // also the URL-encoded and base64 forms a careless serialiser would produce
        for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
          if (text.includes(form)) found.push(`${source}: contains ${secret === CANARY.secretKey ? 'SECRET_KEY' : 'the database password'}`);
        }
      }
    }
    return { found, checkedChars, sources: all.length };
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface PasswordDatabase {
  /** postgres://role:password@host/db */
  url: string;
  name: string;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh database owned by a fresh role whose password is the canary (left to the service to migrate). */
export async function createPasswordDatabase(): Promise<PasswordDatabase> {
  const id = randomBytes(5).toString('hex');
  const name = `orders_resil_${id}`;
  const role = `orders_resil_${id}`;
  await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${CANARY.dbPassword}'`);
  await adminQuery(`CREATE DATABASE ${name} OWNER ${role}`);
  const url = new URL(TEST_DATABASE_URL);
  url.username = role;
  url.password = CANARY.dbPassword;
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  // pool.end() resolves before its idle sockets close; the DROP … WITH (FORCE) after it may reach one first
  pool.on('error', () => undefined);
  return {
    url: url.toString(),
    name,
    query: async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await pool.query<T>(sql, params)).rows,
    drop: async () => {
      await pool.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    },
  };
}

/** The built service as a process with the canary SECRET_KEY; its output joins the transcript. */
export async function spawnService(env: Record<string, string>, transcript: Transcript, label = 'service', nodeArgs: string[] = []): Promise<ServiceProcess> {
  const proc = await startServiceProcess({ ENVIRONMENT: 'test', SECRET_KEY: CANARY.secretKey, SHUTDOWN_DELAY_SECONDS: '0', ...env }, 20_000, nodeArgs);
  transcript.follow(`${label} output (pid ${proc.child.pid})`, () => proc.output());
  return proc;
}

export interface SidecarProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** The built health sidecar as a process on this port; its output joins the transcript. */
export async function spawnSidecar(port: number, env: Record<string, string>, transcript: Transcript): Promise<SidecarProcess> {
  const child = spawn(process.execPath, [sidecarEntry], {
    env: {
      PATH: process.env.PATH ?? '',
      SIDECAR_HOST: '127.0.0.1',
      SIDECAR_PORT: String(port),
      LOG_LEVEL: 'INFO',
      ENVIRONMENT: 'test',
      PROBE_INTERVAL_SECONDS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  transcript.follow(`sidecar output (pid ${child.pid})`, () => out);
  const deadline = Date.now() + 15_000;
  while (!out.includes('health sidecar started')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`sidecar did not start: ${out}`);
    }
    await sleep(50);
  }
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A full garbage collection in a process started with --inspect=127.0.0.1:0 (its output names the
 * inspector's WebSocket), through the DevTools protocol: what is left afterwards is live memory.
 */
export async function collectGarbage(output: () => string): Promise<void> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(output())?.[1];
  if (!url) throw new Error('the process has no inspector (start it with --inspect=127.0.0.1:0)');
  const socket = new WebSocket(url);
  try {
    await once(socket, 'open');
    socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    for (;;) {
      const [data] = (await once(socket, 'message')) as [Buffer];
      if ((JSON.parse(data.toString()) as { id?: number }).id === 1) return;
    }
  } finally {
    socket.close();
  }
}

/** Resident set size of a process in MB (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until check() is truthy; throws with the message after timeoutMs. */
export async function until<T>(check: () => Promise<T> | T, timeoutMs = 5000, message = 'condition', everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await sleep(everyMs);
  }
}
