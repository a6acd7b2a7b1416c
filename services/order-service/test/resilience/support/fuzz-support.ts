// What the fuzz and security tests share beyond the harness: the whole stack as real processes
// (a canary-password database, the peer stand-ins, optionally the health sidecar, the built service),
// a fingerprint of everything the service can write, the problem+json check, a raw-socket HTTP
// client for what fetch refuses to send, and the service's JSON log lines.
import { connect } from 'node:net';
import { deleteStream } from '../../support/service.js';
import { freePort } from '../../support/net.js';
import type { ServiceProcess } from '../../support/process.js';
import { startStandIns, type StandIns } from '../../support/stand-ins/index.js';
import { createTokens, type Tokens } from '../../support/tokens.js';
import {
  CANARY,
  Transcript,
  createPasswordDatabase,
  spawnService,
  spawnSidecar,
  until,
  type PasswordDatabase,
  type SidecarProcess,
} from './harness.js';

export interface Stack {
  url: string;
  db: PasswordDatabase;
  peers: StandIns;
  service: ServiceProcess;
  tokens: Tokens;
  transcript: Transcript;
  /** the environment the service was started with (for a second instance on the same database) */
  env: Record<string, string>;
  /** every JSON line the service has written so far */
  logLines(): LogLine[];
  /** another instance of the service on the same database, stand-ins and stream (stopped by stop()) */
  spawnAnother(env: Record<string, string>, label: string): Promise<ServiceProcess>;
  /** stops every process, closes the stand-ins, drops the database and the Redis keys */
  stop(): Promise<void>;
}

export interface LogLine {
  level?: string;
  message?: string;
  request_id?: string;
  status?: number;
  user_id?: number;
  route?: string;
  method?: string;
  [field: string]: unknown;
}

export async function startStack(options: { sidecar?: boolean; env?: Record<string, string> } = {}): Promise<Stack> {
  const transcript = new Transcript();
  const db = await createPasswordDatabase();
  const stream = `orders.events.resil.${db.name}`;
  const extra: ServiceProcess[] = [];
  let peers: StandIns | undefined;
  let sidecar: SidecarProcess | undefined;
  let service: ServiceProcess | undefined;
  const stop = async () => {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    };
    for (const p of extra) await attempt(() => p.kill());
    if (service) await attempt(() => service!.kill());
    if (sidecar) await attempt(() => sidecar!.stop());
    if (peers) await attempt(() => peers!.close());
    await attempt(() => db.drop());
    await attempt(() => deleteStream(stream));
    if (errors.length > 0) throw errors[0];
  };
  try {
    peers = await startStandIns({ secretKey: CANARY.secretKey });
    const peerEnv = peers.env;
    const env: Record<string, string> = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      ...peerEnv,
      EVENTS_STREAM: stream,
      CACHE_PREFIX: `${stream}:cache`,
      MIGRATE_ON_START: 'true',
      LOG_LEVEL: 'INFO',
      OUTBOX_INTERVAL_MS: '200',
      ...options.env,
    };
    if (options.sidecar) {
      const port = await freePort();
      env.SIDECAR_URL = `http://127.0.0.1:${port}`;
      sidecar = await spawnSidecar(
        port,
        { DATABASE_URL: db.url, REDIS_URL: env.REDIS_URL!, ...peerEnv, PROBE_INTERVAL_SECONDS: '2' },
        transcript,
      );
    }
    service = await spawnService(env, transcript);
    const url = service.url;
    if (sidecar) {
      // the service reads the sidecar's snapshot at most once a second: wait until it has a good one
      await until(async () => (await fetch(`${url}/health/ready`)).status === 200, 20_000, 'the service never saw the sidecar ready', 200);
    }
    const proc = service;
    return {
      url,
      db,
      peers,
      service: proc,
      tokens: createTokens(CANARY.secretKey),
      transcript,
      env,
      logLines: () => parseLogLines(proc.output()),
      spawnAnother: async (overrides, label) => {
        const other = await spawnService({ ...env, MIGRATE_ON_START: 'false', ...overrides }, transcript, label);
        extra.push(other);
        return other;
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

export function parseLogLines(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a line cut by a write still in progress
    }
  }
  return lines;
}

/**
 * Everything the service can write, in one statement: the full rows of the order tables and the
 * idempotency keys, the number of outbox events and stock reservations (their delivery columns
 * move in the background), and the daily statistics roll-up.
 */
const FINGERPRINT_SQL = `
  SELECT
    (SELECT count(*) FROM orders)::text AS orders,
    (SELECT coalesce(max(updated_at)::text, '') FROM orders) AS orders_updated_at,
    (SELECT md5(coalesce(string_agg(o::text, '|' ORDER BY o.id), '')) FROM orders o) AS orders_rows,
    (SELECT md5(coalesce(string_agg(i::text, '|' ORDER BY i.id), '')) FROM order_items i) AS order_items,
    (SELECT md5(coalesce(string_agg(h::text, '|' ORDER BY h.id), '')) FROM order_status_history h) AS order_status_history,
    (SELECT md5(coalesce(string_agg(k::text, '|' ORDER BY k.user_id, k.key), '')) FROM idempotency_keys k) AS idempotency_keys,
    (SELECT count(*) FROM outbox_events)::text AS outbox_events,
    (SELECT count(*) FROM stock_reservations)::text AS stock_reservations,
    (SELECT coalesce(sum(orders), 0)::text || '/' || coalesce(sum(total_cents), 0)::text FROM order_stats_daily) AS order_stats_daily`;

export async function databaseFingerprint(db: PasswordDatabase): Promise<Record<string, string>> {
  const [row] = await db.query<Record<string, string>>(FINGERPRINT_SQL);
  return row!;
}

/** The product stand-in's stock of every product. */
export function stockFingerprint(peers: StandIns): string {
  return JSON.stringify([...peers.product.products.values()].map((p) => [p._id, p.stock]));
}

/** What differs between two fingerprints ('' when nothing). */
export function fingerprintChange(before: Record<string, string>, after: Record<string, string>): string {
  return Object.keys(before)
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k}: ${before[k]} -> ${after[k]}`)
    .join(', ');
}

/** Why this response is not an RFC 9457 problem of its own status ([] when it is one). */
export function problemViolations(res: { status: number; headers: Headers; text: string }): string[] {
  const out: string[] = [];
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json')) out.push(`content-type is '${type}', not application/problem+json`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    return [...out, 'the body is not JSON'];
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [...out, 'the body is not a JSON object'];
  for (const member of ['type', 'title', 'detail']) {
    if (typeof body[member] !== 'string' || body[member] === '') out.push(`'${member}' is missing or not a string`);
  }
  if (body.status !== res.status) out.push(`'status' is ${JSON.stringify(body.status)}, the response is ${res.status}`);
  return out;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** everything the server sent on the connection (pipelined answers included) */
  raw: string;
}

/**
 * Sends bytes exactly as given on a fresh connection and reads until the server closes it (send
 * `Connection: close`) or the timeout. The first response is parsed; the raw text joins the transcript.
 */
export async function rawRequest(baseUrl: string, request: string | Buffer, transcript: Transcript, timeoutMs = 5000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
  transcript.add('raw response', raw);
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.slice(0, end) : raw;
  const [statusLine, ...headerLines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end >= 0 ? raw.slice(end + 4) : '';
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { status, headers, body, raw };
}
