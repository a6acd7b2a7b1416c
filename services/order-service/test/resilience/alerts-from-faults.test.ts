// The chart's alerts against faults caused for real: the built service and sidecar run with their
// own PostgreSQL cluster, the peer stand-ins and a Kubernetes API stand-in, under steady traffic,
// and are scraped like a ServiceMonitor would (one scrape a second). Then, one after another: the
// product service fails, it turns slow, the Kubernetes API refuses patches while PostgreSQL is
// stopped, the sidecar is killed; from the second fault on, the cart service refuses to clear a
// cart, so an outbox event waits. The recording, one scrape per minute of rule time, goes through
// the rendered PrometheusRule with `promtool test rules`: each fault's alert is quiet before it,
// fires during it and is resolved after the recovery. Counters are real; time is compressed (a
// second a minute), so the test renders a refusal rate and a latency bound that fit compressed time.

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { buildHelmRender, CRDS, renderWith } from '../../../../charts/test/chart-render.js';
import { startKubeApi, type KubeApiStandIn } from '../../../../sidecar/test/support/kube-api.js';
import { freePort } from '../support/net.js';
import type { ServiceProcess } from '../support/process.js';
import { deleteStream } from '../support/service.js';
import { startStandIns, type StandIns } from '../support/stand-ins/index.js';
import { createTokens } from '../support/tokens.js';
import { ADDRESS } from './support/client.js';
import { CANARY, sleep, spawnService, spawnSidecar, Transcript, until, type SidecarProcess } from './support/harness.js';
import { stopService } from './support/pooled-stack.js';
import { createScraper, type Scraper } from './support/scraper.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from './support/throwaway-postgres.js';

jest.setTimeout(300_000);

const TARGET = { namespace: 'shop', job: 'orders-order-service', pod: 'p1' };
const POD = { name: 'p1', namespace: 'shop', uid: randomUUID() };
const PRODUCT_ID = 1;
const SLOW_PRODUCT_MS = 2_800;
/** the latency SLI's bound rendered for this test: no healthy checkout comes near it */
const LATENCY_BOUND = '2.5';

const transcript = new Transcript();
const tokens = createTokens(CANARY.secretKey);
let pg: ThrowawayPostgres;
let peers: StandIns;
let kube: KubeApiStandIn;
let service: ServiceProcess;
let sidecar: SidecarProcess;
let sidecarPort: number;
let sidecarEnv: Record<string, string>;
let scraper: Scraper;
const stream = `orders.events.alerts.${randomUUID().slice(0, 8)}`;
let traffic: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  pg = await startThrowawayPostgres(CANARY.dbPassword);
  peers = await startStandIns({ secretKey: CANARY.secretKey });
  peers.product.setStock(PRODUCT_ID, 10_000_000);
  kube = await startKubeApi(POD);
  const dir = mkdtempSync(join(tmpdir(), 'orders-alerts-'));
  const kubeconfig = join(dir, 'kubeconfig');
  // the stand-in speaks plain HTTP, which the client allows only with insecure-skip-tls-verify
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: kube.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'sa-token-alerts' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  const databaseUrl = pg.urlWith({ database: 'postgres' });
  sidecarPort = await freePort();
  sidecarEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    ...peers.env,
    PROBE_INTERVAL_SECONDS: '1',
    KUBECONFIG: kubeconfig,
    POD_NAME: POD.name,
    POD_NAMESPACE: POD.namespace,
    POD_UID: POD.uid,
  };
  sidecar = await spawnSidecar(sidecarPort, sidecarEnv, transcript);
  service = await spawnService(
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      ...peers.env,
      EVENTS_STREAM: stream,
      CACHE_PREFIX: `${stream}:cache`,
      MIGRATE_ON_START: 'true',
      OUTBOX_INTERVAL_MS: '200',
      PEER_TIMEOUT_MS: '5000',
      SIDECAR_URL: `http://127.0.0.1:${sidecarPort}`,
    },
    transcript,
  );
  await until(async () => (await fetch(`${service.url}/health/ready`)).status === 200, 20_000, 'service ready', 200);
  scraper = createScraper(
    [
      { endpoint: 'http', url: `${service.url}/metrics` },
      { endpoint: 'metrics', url: `http://127.0.0.1:${sidecarPort}/metrics` },
    ],
    TARGET,
  );
});

afterAll(async () => {
  await traffic?.stop();
  await scraper?.stop();
  await stopService(service);
  await sidecar?.stop();
  await kube?.close();
  await peers?.close();
  await pg?.destroy();
  await deleteStream(stream);
});

/** Shoppers reading their orders and buying one unit at a time, as the storefront does. */
function startTraffic(): { stop(): Promise<void> } {
  let running = true;
  const worker = async (userId: number, buy: boolean) => {
    const token = await tokens.user(userId, `alerts${userId}@example.test`);
    while (running) {
      const request = buy
        ? fetch(`${service.url}/orders`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: JSON.stringify({ items: [{ product_id: PRODUCT_ID, quantity: 1 }], shipping_address: ADDRESS }),
            signal: AbortSignal.timeout(15_000),
          })
        : fetch(`${service.url}/orders`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
      await request.then((r) => r.arrayBuffer()).catch(() => undefined);
      await sleep(400);
    }
  };
  const workers = [worker(41_001, false), worker(41_002, true), worker(41_003, true), worker(41_004, true)];
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

const latest = () => scraper.steps - 1;
const value = (step: number, name: string, labels: Record<string, string> = {}) => scraper.valueAt(step, name, labels);

/**
 * Waits until `each` has held at every one of the last `steps` scrapes and `across` (given the first
 * and last of them) holds too; returns the last step.
 */
async function holdsFor(
  what: string,
  steps: number,
  each: (step: number) => boolean,
  across: (from: number, to: number) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<number> {
  const waited = until(
    () => {
      const end = latest();
      if (end + 1 < steps) return false;
      for (let s = end - steps + 1; s <= end; s++) if (!each(s)) return false;
      return across(end - steps + 1, end) ? end : false;
    },
    timeoutMs,
    `${what} for ${steps} scrapes`,
    200,
  ) as Promise<number>;
  return waited.catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; the last scrapes:${recent()}`);
  });
}

/** The signals the phases wait on, for the last ten scrapes (a timeout's message). */
function recent(): string {
  const rows: string[] = [];
  for (let s = Math.max(0, latest() - 9); s <= latest(); s++) {
    const refused = ['peer_unavailable', 'dependency_unavailable', 'product_unavailable', 'other'].map((r) => `${r}=${value(s, 'orders_checkout_refusals_total', { reason: r }) ?? '-'}`);
    const ups = ['postgres', 'product-service', 'cart-service'].map((d) => `${d}=${dependencyUp(d)(s) ?? '-'}`);
    rows.push(`\n  ${s}: up(http)=${value(s, 'up', { endpoint: 'http' })} up(metrics)=${value(s, 'up', { endpoint: 'metrics' })} ${ups.join(' ')} ${refused.join(' ')} slow5=${slowShare(s - 5, s).toFixed(3)} outbox_age=${value(s, 'orders_outbox_oldest_pending_age_seconds') ?? '-'}`);
  }
  return rows.join('');
}

/** Refusals for an unavailable peer counted by this step (0 before the first). */
const refusals = (step: number) => value(step, 'orders_checkout_refusals_total', { reason: 'peer_unavailable' }) ?? 0;
const dependencyUp = (dependency: string) => (step: number) => value(step, 'orders_dependency_up', { endpoint: 'metrics', dependency });
const apiRoute = (threshold?: string) => (l: Record<string, string>) =>
  l.endpoint === 'http' && !/^\/health|^\/metrics/.test(l.route ?? '') && (threshold === undefined || l.le === threshold);
/** Share of API requests slower than the latency bound between two steps, as the latency SLI reads it. */
function slowShare(from: number, to: number): number {
  const at = (s: number) => ({
    fast: scraper.sumAt(s, 'orders_http_request_duration_seconds_bucket', apiRoute(LATENCY_BOUND)),
    all: scraper.sumAt(s, 'orders_http_request_duration_seconds_count', apiRoute()),
  });
  const [a, b] = [at(Math.max(0, from)), at(to)];
  return b.all === a.all ? 0 : 1 - (b.fast - a.fast) / (b.all - a.all);
}

interface Expectation {
  alert: string;
  /** extra label matchers of the ALERTS series, e.g. dependency="product-service" */
  labels?: Record<string, string>;
  quietAt: number[];
  firingAt: number[];
}

test('each fault caused for real ends in its alert, and the alert resolves after the recovery', async () => {
  scraper.start(1_000);
  traffic = startTraffic();
  const expectations: Expectation[] = [];

  const healthy = await holdsFor('all dependencies up and checkouts going', 8, (s) => dependencyUp('postgres')(s) === 1 && dependencyUp('product-service')(s) === 1);

  // 1. the product service drops every connection: its probe fails, checkouts are refused
  const productFrom = latest() + 1;
  peers.product.setFaults({ reset: true });
  const productEnd = await holdsFor('product service failing and checkouts refused', 10, (s) => dependencyUp('product-service')(s) === 0, (a, b) => refusals(b) - refusals(a) >= 10);
  peers.product.setFaults({});
  const productMended = await holdsFor('product service up, no new refusals', 8, (s) => dependencyUp('product-service')(s) === 1, (a, b) => refusals(b) === refusals(a));
  expectations.push(
    { alert: 'OrdersDependencyProbeFailing', labels: { dependency: 'product-service' }, quietAt: [productFrom - 1], firingAt: [productEnd] },
    { alert: 'OrdersCheckoutPeerRefusals', quietAt: [productFrom - 1], firingAt: [productEnd] },
    { alert: 'OrdersAvailabilityBudgetBurnFast', quietAt: [productFrom - 1], firingAt: [productEnd] },
  );

  // a cart checkout whose cart the cart service will not clear: its outbox event waits through the
  // next phases (its minute); started here, not first, its retries have backed off less by the end
  peers.cart.setFaults({ status500: true, onlyMethod: 'DELETE' });
  peers.cart.setCart(41_010, [{ productId: PRODUCT_ID, sku: 'SKU-1', title: 'Beans', quantity: 1, price: 24.5, currency: 'USD' }]);
  const cartCheckout = await fetch(`${service.url}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await tokens.user(41_010, 'alerts-cart@example.test')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ shipping_address: ADDRESS }),
  });
  expect(cartCheckout.status).toBe(201);
  const backlogFrom = latest() + 1;

  // 2. the product service answers its price reads slowly: checkouts take longer than the latency bound
  const slowFrom = latest() + 1;
  peers.product.setFaults({ latencyMs: SLOW_PRODUCT_MS, onlyPath: `/products/${PRODUCT_ID}` });
  // until both windows of the fast burn alert see far more than 14.4 × 0.1 % of slow requests
  const slowEnd = await holdsFor('slow checkouts', 4, (s) => slowShare(s - 5, s) > 0.05 && slowShare(s - 60, s) > 0.03);
  peers.product.setFaults({});
  const slowMended = await holdsFor('fast again', 3, (s) => slowShare(s - 6, s) === 0);
  expectations.push({ alert: 'OrdersLatencyBudgetBurnFast', quietAt: [slowFrom - 1, slowMended], firingAt: [slowEnd] });

  // 3. the Kubernetes API refuses the sidecar's patches, then PostgreSQL stops: not ready, and the
  // condition cannot say so
  const pgFrom = latest() + 1;
  kube.mode = 'forbidden';
  await pg.stop('fast');
  const forbidden = (s: number) => value(s, 'orders_health_sidecar_condition_patches_total', { result: 'forbidden' }) ?? 0;
  const pgEnd = await holdsFor('PostgreSQL down, patches refused', 8, (s) => dependencyUp('postgres')(s) === 0 && forbidden(s) > forbidden(s - 2));
  await pg.start();
  kube.mode = 'ok';
  const pgMended = await holdsFor('PostgreSQL up, the condition patched', 8, (s) => dependencyUp('postgres')(s) === 1);
  expectations.push(
    { alert: 'OrdersCriticalDependencyDown', quietAt: [pgFrom - 1, pgMended], firingAt: [pgEnd] },
    { alert: 'OrdersSidecarNotPatching', quietAt: [pgFrom - 1, pgMended], firingAt: [pgEnd] },
    { alert: 'OrdersAvailabilityBudgetBurnFast', quietAt: [pgFrom - 1], firingAt: [pgEnd] },
  );

  // 4. the sidecar is killed: its target is down while the service's is up
  const sidecarFrom = latest() + 1;
  sidecar.child.kill('SIGKILL');
  await sidecar.stop();
  const sidecarEnd = await holdsFor('sidecar target down', 5, (s) => value(s, 'up', { endpoint: 'metrics' }) === 0 && value(s, 'up', { endpoint: 'http' }) === 1);
  sidecar = await spawnSidecar(sidecarPort, sidecarEnv, transcript);
  const sidecarMended = await holdsFor('sidecar target up', 4, (s) => value(s, 'up', { endpoint: 'metrics' }) === 1);
  expectations.push({ alert: 'OrdersHealthSidecarDown', quietAt: [sidecarFrom - 1, sidecarMended], firingAt: [sidecarEnd] });

  // 5. the event waiting since the cart checkout: older than the rendered minute for a few scrapes
  const age = (s: number) => value(s, 'orders_outbox_oldest_pending_age_seconds') ?? 0;
  const backlogEnd = await holdsFor('outbox backlog older than a minute', 4, (s) => age(s) > 60, undefined, 120_000);
  peers.cart.setFaults({});
  // delivered: what is pending now are the last seconds' checkouts, not the cart's event
  const backlogMended = await holdsFor('outbox delivered', 4, (s) => age(s) < 10, undefined, 150_000);
  expectations.push({ alert: 'OrdersOutboxBacklog', quietAt: [backlogFrom, backlogMended], firingAt: [backlogEnd] });
  // resolved: the probe passes again at once; the refusal rate and the error ratio over 5 minutes
  // are 0 once a checkout has not been refused for that long
  expectations.push(
    { alert: 'OrdersDependencyProbeFailing', labels: { dependency: 'product-service' }, quietAt: [productMended], firingAt: [] },
    { alert: 'OrdersCheckoutPeerRefusals', quietAt: [productMended], firingAt: [] },
    { alert: 'OrdersAvailabilityBudgetBurnFast', quietAt: [backlogMended], firingAt: [] },
  );

  await traffic.stop();
  traffic = undefined;
  await scraper.stop();
  expect(healthy).toBeLessThan(productFrom);
  expect(cartCheckout.status).toBe(201);

  console.log(
    `alerts from faults: ${scraper.steps} scrapes; healthy by ${healthy}; product down ${productFrom}–${productEnd}, mended ${productMended}; ` +
      `slow ${slowFrom}–${slowEnd}, mended ${slowMended}; PostgreSQL down ${pgFrom}–${pgEnd}, mended ${pgMended}; ` +
      `sidecar down ${sidecarFrom}–${sidecarEnd}, mended ${sidecarMended}; outbox waiting ${backlogFrom}–${backlogEnd}, delivered ${backlogMended}`,
  );
  const result = promtoolTest(expectations);
  expect(result).toContain('SUCCESS');
});

/** Writes the rendered rules, the recording and the expectations, and runs promtool test rules. */
function promtoolTest(expectations: Expectation[]): string {
  const objects = renderWith(buildHelmRender(), [
    ...CRDS,
    // rule time is 60 times real time: a checkout refused every few seconds is a rate of a few per minute
    '--set', 'metrics.prometheusRule.peerRefusalsPerSecond=0.01',
    '--set', 'metrics.prometheusRule.outboxMaxAgeMinutes=1',
    // a bound no healthy checkout comes near, with a target strict enough for a short fault to burn
    `--set`, `metrics.prometheusRule.slo.latency.thresholdSeconds=${LATENCY_BOUND}`,
    '--set', 'metrics.prometheusRule.slo.latency.target=0.999',
  ]);
  const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
  const dir = mkdtempSync(join(tmpdir(), 'orders-alert-faults-'));
  writeFileSync(join(dir, 'alerts.yaml'), stringify({ groups: rule.spec.groups }));
  const firing = (e: Expectation) =>
    `clamp_max(count(ALERTS{alertname="${e.alert}",alertstate="firing"${Object.entries(e.labels ?? {})
      .map(([k, v]) => `,${k}="${v}"`)
      .join('')}}), 1) or vector(0)`;
  const tests = expectations.flatMap((e) => [
    ...e.quietAt.map((step) => ({ expr: firing(e), eval_time: `${step}m`, exp_samples: [{ labels: '{}', value: 0 }] })),
    ...e.firingAt.map((step) => ({ expr: firing(e), eval_time: `${step}m`, exp_samples: [{ labels: '{}', value: 1 }] })),
  ]);
  writeFileSync(
    join(dir, 'faults.test.yaml'),
    stringify({ rule_files: ['alerts.yaml'], evaluation_interval: '1m', tests: [{ interval: '1m', input_series: scraper.inputSeries(), promql_expr_test: tests }] }, { lineWidth: 0 }),
  );
  try {
    return execFileSync('promtool', ['test', 'rules', 'faults.test.yaml'], { cwd: dir, encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool test rules failed (recording and rules in ${dir}):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
