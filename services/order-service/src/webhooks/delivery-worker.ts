// Sends pending webhook deliveries: claims due rows (SKIP LOCKED: replicas share the work), POSTs
// the signed event, and records delivered (2xx), a retry with exponential backoff and jitter, or
// final `failed` after maxAttempts. Redirects are not followed (3xx fails); addresses are checked
// after DNS resolution, on the socket actually used, so a name cannot rebind to a private address.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { signatureHeader } from '../domain/webhook-signature.js';
import type { WebhookStore } from '../data/webhook-store.js';
import { createPollLoop } from '../background/poll-loop.js';
import { ForbiddenTarget, isForbiddenAddress, urlProblem, type TargetPolicy } from './target-guard.js';

export interface DeliveryWorkerDeps {
  store: WebhookStore;
  policy: TargetPolicy;
  maxAttempts: number;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxSeconds: number;
  intervalMs: number;
  batchSize?: number;
  clock?: () => Date;
  /** orders_webhook_deliveries_total{result} */
  attempts?: { inc(labels: { result: 'delivered' | 'retry' | 'failed' }): void };
  log?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

export interface AttemptResult {
  status: number | null;
  latencyMs: number | null;
  /** null when delivered; else a short class: http_500, redirect, timeout, connection, forbidden_target, … */
  error: string | null;
}

/** Seconds until the next attempt after `attempts` failed ones: base × 2^(attempts−1), capped, times 0.5–1 (jitter). */
export function retryDelaySeconds(attempts: number, baseMs: number, maxSeconds: number, random = Math.random): number {
  const full = Math.min((baseMs / 1000) * 2 ** (attempts - 1), maxSeconds);
  return full * (0.5 + random() / 2);
}

/** A lookup that refuses forbidden addresses (net.connect calls it for names; literals are checked before). */
type Resolve = (hostname: string, options: { all: true; family?: number }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

function guardedLookup(policy: TargetPolicy, resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...(options as { family?: number }), all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = policy.allowPrivateTargets ? undefined : addresses.find((a) => isForbiddenAddress(a.address));
      if (bad) return callback(new ForbiddenTarget(bad.address) as NodeJS.ErrnoException, '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** One POST of a signed body; resolves with what happened (never throws). */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { policy: TargetPolicy; timeoutMs: number; resolve?: Resolve },
): Promise<AttemptResult> {
  const problem = urlProblem(url, options.policy);
  if (problem) return Promise.resolve({ status: null, latencyMs: null, error: 'forbidden_target' });
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(target, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(options.policy, options.resolve ?? (dnsLookup as unknown as Resolve)),
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'order-service-webhooks', ...headers },
    });
    // the whole exchange, connect to last byte, within timeoutMs
    const timer = setTimeout(() => {
      done({ status: null, latencyMs: elapsed(), error: 'timeout' });
      req.destroy();
    }, options.timeoutMs);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () =>
        done({ status, latencyMs: elapsed(), error: status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? 'redirect' : `http_${status}` }),
      );
      res.on('error', () => done({ status, latencyMs: elapsed(), error: 'connection' }));
    });
    req.on('error', (err) => done({ status: null, latencyMs: elapsed(), error: err instanceof ForbiddenTarget ? 'forbidden_target' : errorClass(err) }));
    req.end(body);
  });
}

function errorClass(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code)) return 'tls';
  return 'connection';
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const clock = deps.clock ?? (() => new Date());
  // a claim outlives the longest attempt, so no other replica sends the same delivery meanwhile
  const leaseSeconds = Math.ceil(deps.timeoutMs / 1000) + 30;

  async function send(d: Awaited<ReturnType<WebhookStore['claimDue']>>[number]): Promise<void> {
    const attempts = d.attempts + 1;
    let result: AttemptResult;
    if (!d.event) {
      result = { status: null, latencyMs: null, error: 'event_purged' };
    } else if (!d.endpoint.enabled) {
      await deps.store.release(d.id); // disabled meanwhile: it waits, and goes when re-enabled
      return;
    } else {
      const body = JSON.stringify({ type: d.eventType, timestamp: d.event.createdAt.toISOString(), data: d.event.payload });
      const timestamp = Math.floor(clock().getTime() / 1000);
      const secrets = [d.endpoint.secret];
      if (d.endpoint.previousSecret && d.endpoint.previousSecretExpiresAt && d.endpoint.previousSecretExpiresAt > clock()) secrets.push(d.endpoint.previousSecret);
      const headers = { 'webhook-id': d.eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader(secrets, d.eventId, timestamp, body) };
      result = await postWebhook(d.endpoint.url, headers, body, { policy: deps.policy, timeoutMs: deps.timeoutMs });
    }
    const fields = { delivery_id: d.id, endpoint_id: d.endpointId, event_id: d.eventId, order_id: d.orderId, attempts, status: result.status, latency_ms: result.latencyMs };
    if (result.error === null) {
      await deps.store.markDelivered(d.id, result.status!, result.latencyMs ?? 0, attempts);
      deps.attempts?.inc({ result: 'delivered' });
      deps.log?.info(fields, 'webhook delivered');
      return;
    }
    const final = attempts >= deps.maxAttempts || result.error === 'event_purged';
    const delaySeconds = final ? null : retryDelaySeconds(attempts, deps.retryBaseMs, deps.retryMaxSeconds);
    await deps.store.markAttemptFailed(d.id, { attempts, status: result.status, latencyMs: result.latencyMs, error: result.error, delaySeconds });
    deps.attempts?.inc({ result: final ? 'failed' : 'retry' });
    deps.log?.warn({ ...fields, error_class: result.error, final }, final ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry');
  }

  /** One pass: claims due deliveries and sends them (concurrently: each is another order or endpoint). */
  async function runOnce(): Promise<number> {
    const batch = await deps.store.claimDue(deps.batchSize ?? 20, leaseSeconds);
    await Promise.all(
      batch.map((d) =>
        loop.stopped
          ? deps.store.release(d.id).catch(() => undefined)
          : send(d).catch((err: unknown) => deps.log?.warn({ delivery_id: d.id, err }, 'webhook delivery could not be recorded; the claim lapses and it is sent again')),
      ),
    );
    return batch.length;
  }

  const loop = createPollLoop({ intervalMs: deps.intervalMs, pass: runOnce, onError: (err) => deps.log?.warn({ err }, 'webhook delivery pass failed') });

  return {
    runOnce,
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
