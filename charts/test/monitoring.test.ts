// The chart's monitoring: the PrometheusRule through promtool (check + the unit tests of
// alerts.test.yaml on the rendered rules), every rule's and dashboard panel's metric names and
// matcher labels against the registries the service and the sidecar serve, runbook links against
// docs/operations.md, and what the values change in the PrometheusRule and the ServiceMonitor.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Histogram } from 'prom-client';
import { parse, stringify } from 'yaml';
import { createServiceMetrics } from '../../services/order-service/src/http/metrics.js';
import { createSidecarMetrics } from '../../sidecar/src/metrics.js';
import { CRDS, buildHelmRender, renderWith, repo, type K8sObject } from './chart-render.js';

let helmRender: string;
beforeAll(() => {
  helmRender = buildHelmRender();
}, 120_000);
const render = (args: string[] = []) => renderWith(helmRender, [...CRDS, ...args]);
const ofKind = (objects: K8sObject[], kind: string) => objects.find((o) => o.kind === kind)!;
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rulesOf = (objects: K8sObject[]): Rule[] => (ofKind(objects, 'PrometheusRule').spec.groups as Array<{ rules: Rule[] }>).flatMap((g) => g.rules);

// labels Prometheus adds to every series of a ServiceMonitor target
const TARGET_LABELS = ['namespace', 'job', 'pod', 'endpoint', 'instance', 'service', 'container'];

/** Metric name → label names, from the registries main.ts and the sidecar's main.ts serve. */
function exposedMetrics(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>([['up', new Set(TARGET_LABELS)]]);
  for (const registry of [createServiceMetrics().registry, createSidecarMetrics('test').registry]) {
    for (const m of registry.getMetricsAsArray()) {
      const { name, labelNames = [] } = m as unknown as { name: string; labelNames?: string[] };
      const labels = new Set([...TARGET_LABELS, ...labelNames]);
      if (m instanceof Histogram) {
        out.set(`${name}_bucket`, new Set([...labels, 'le']));
        out.set(`${name}_count`, labels);
        out.set(`${name}_sum`, labels);
      } else out.set(name, labels);
    }
  }
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);
/** The series selectors of a PromQL expression: metric names with the label names they match on. */
export function selectorsOf(expr: string): Array<{ name: string; labels: string[] }> {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const out: Array<{ name: string; labels: string[] }> = [];
  for (const m of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?/g)) {
    const [, name, matchers, call] = m;
    if (call || KEYWORDS.has(name!.toLowerCase()) || /^\d/.test(name!)) continue;
    if (m.index > 0 && /[\d.]/.test(text[m.index - 1]!)) continue; // the exponent of a number, e.g. 1e3
    const labels = [...(matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!);
    out.push({ name: name!, labels });
  }
  return out;
}

/** Problems of an expression: names not exposed (nor recorded by the chart), labels the metric has not. */
function unknownNames(expr: string, exposed: Map<string, Set<string>>, recorded: Set<string>): string[] {
  return selectorsOf(expr).flatMap(({ name, labels }) => {
    if (recorded.has(name)) return labels.filter((l) => !['namespace', 'job'].includes(l)).map((l) => `${name}{${l}}`);
    const has = exposed.get(name);
    if (!has) return [name];
    return labels.filter((l) => !has.has(l)).map((l) => `${name}{${l}}`);
  });
}

test('the PrometheusRule passes promtool check rules and every unit test of charts/test/alerts.test.yaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'order-rules-'));
  try {
    writeFileSync(join(dir, 'alerts.yaml'), stringify({ groups: ofKind(render(), 'PrometheusRule').spec.groups }));
    copyFileSync(join(repo, 'charts/test/alerts.test.yaml'), join(dir, 'alerts.test.yaml'));
    expect(execFileSync('promtool', ['check', 'rules', 'alerts.yaml'], { cwd: dir, encoding: 'utf8' })).toContain('SUCCESS: 21 rules found');
    // promtool exits non-zero (and execFileSync throws with its report) when any case fails
    expect(execFileSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: dir, encoding: 'utf8' })).toContain('SUCCESS');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('every alert has a firing case and a quiet case in the unit tests', () => {
  const cases = (parse(readFileSync(join(repo, 'charts/test/alerts.test.yaml'), 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> }).tests.flatMap(
    (t) => t.alert_rule_test,
  );
  for (const rule of rulesOf(render()).filter((r) => r.alert)) {
    const mine = cases.filter((c) => c.alertname === rule.alert);
    expect([rule.alert, mine.some((c) => c.exp_alerts.length > 0), mine.some((c) => c.exp_alerts.length === 0)]).toEqual([rule.alert, true, true]);
  }
});

test('every rule reads metrics the service or the sidecar exposes, by labels they carry (or a series the chart records)', () => {
  const exposed = exposedMetrics();
  const rules = rulesOf(render());
  const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
  expect(recorded.size).toBe(10);
  for (const r of rules) expect([r.alert ?? r.record, unknownNames(r.expr, exposed, recorded)]).toEqual([r.alert ?? r.record, []]);
  // the check itself finds a misspelt metric and a label the metric does not have
  expect(unknownNames('rate(orders_http_request_total[5m])', exposed, recorded)).toEqual(['orders_http_request_total']);
  expect(unknownNames('orders_dependency_up{reason="x"} == 0', exposed, recorded)).toEqual(['orders_dependency_up{reason}']);
  expect(unknownNames('sum by (le) (rate(orders_http_request_duration_seconds_bucket{le="0.5"}[5m])) > 1e3', exposed, recorded)).toEqual([]);
});

test("every alert: a severity, a summary, a description, and a runbook_url to a section of docs/operations.md; every expression reads this release's series only", () => {
  const doc = readFileSync(join(repo, 'docs/operations.md'), 'utf8');
  // GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes
  const anchors = new Set([...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-')));
  const base = 'https://github.com/ecommerce/order-platform/blob/main/docs/operations.md#';
  for (const r of rulesOf(render())) {
    for (const s of selectorsOf(r.expr)) expect([r.alert ?? r.record, s.name, s.labels]).toEqual([r.alert ?? r.record, s.name, expect.arrayContaining(['namespace', 'job'])]);
    if (!r.alert) continue;
    expect([r.alert, r.labels?.severity]).toEqual([r.alert, expect.stringMatching(/^(critical|warning)$/)]);
    expect(r.annotations).toMatchObject({ summary: expect.any(String), description: expect.any(String), runbook_url: expect.stringContaining(base) });
    const anchor = r.annotations!.runbook_url!.slice(base.length);
    expect([r.alert, anchors.has(anchor)]).toEqual([r.alert, true]);
  }
});

test('the values drive the PrometheusRule: SLO targets, latency bucket, outbox age, refusal rate, runbook base, extra labels', () => {
  const byName = (rules: Rule[], name: string) => rules.find((r) => r.alert === name || r.record === name)!;
  const defaults = rulesOf(render());
  expect(byName(defaults, 'OrdersAvailabilityBudgetBurnFast').expr).toContain('> (14.4 * (1 - 0.999))');
  expect(byName(defaults, 'OrdersLatencyBudgetBurnSlow').expr).toContain('> (6 * (1 - 0.99))');
  expect(byName(defaults, 'namespace_job:orders_latency_errors:ratio_rate1h').expr).toContain('le="0.5"');
  expect(byName(defaults, 'namespace_job:orders_availability_errors:ratio_rate3d').expr).toContain('route!~"/health.*|/metrics"');
  expect(ofKind(render(), 'PrometheusRule').metadata.labels.release).toBeUndefined();

  const objects = render([
    '--set', 'metrics.prometheusRule.slo.availability=0.995',
    '--set', 'metrics.prometheusRule.slo.latency.target=0.95',
    '--set', 'metrics.prometheusRule.slo.latency.thresholdSeconds=1',
    '--set', 'metrics.prometheusRule.outboxMaxAgeMinutes=30',
    '--set', 'metrics.prometheusRule.peerRefusalsPerSecond=0.5',
    '--set', 'metrics.prometheusRule.runbookBaseUrl=https://runbooks.example/orders',
    '--set', 'metrics.prometheusRule.additionalLabels.release=kube-prometheus-stack',
  ]);
  const rules = rulesOf(objects);
  expect(byName(rules, 'OrdersAvailabilityBudgetBurnFast').expr).toContain('> (14.4 * (1 - 0.995))');
  expect(byName(rules, 'OrdersLatencyBudgetBurnFast').expr).toContain('> (14.4 * (1 - 0.95))');
  expect(byName(rules, 'namespace_job:orders_latency_errors:ratio_rate5m').expr).toContain('le="1"');
  expect(byName(rules, 'OrdersOutboxBacklog').expr).toMatch(/> 1800$/);
  expect(byName(rules, 'OrdersCheckoutPeerRefusals').expr.trim()).toMatch(/> 0\.5$/);
  expect(byName(rules, 'OrdersOutboxBacklog').annotations!.runbook_url).toBe('https://runbooks.example/orders#ordersoutboxbacklog');
  expect(ofKind(objects, 'PrometheusRule').metadata.labels).toMatchObject({ release: 'kube-prometheus-stack', 'app.kubernetes.io/name': 'order-service' });
  // another release reads its own series
  const other = renderWith(helmRender, [...CRDS, '--release-name', 'eu', '--namespace', 'shop-eu']);
  expect(byName(rulesOf(other), 'OrdersCriticalDependencyDown').expr).toContain('namespace="shop-eu",job="eu-order-service"');
});

test('the ServiceMonitor: both endpoints with interval, scrapeTimeout and relabelings; extra labels; nothing extra by default', () => {
  const plain = ofKind(render(), 'ServiceMonitor');
  expect(plain.spec.endpoints).toEqual([
    { port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
  ]);
  expect(plain.metadata.labels.release).toBeUndefined();
  const dir = mkdtempSync(join(tmpdir(), 'order-values-'));
  try {
    const values = join(dir, 'values.yaml');
    const relabelings = [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }];
    const metricRelabelings = [{ sourceLabels: ['__name__'], regex: 'nodejs_gc_.*', action: 'drop' }];
    writeFileSync(values, stringify({ metrics: { serviceMonitor: { additionalLabels: { release: 'prom' }, interval: '15s', scrapeTimeout: '5s', relabelings, metricRelabelings } } }));
    const sm = ofKind(render(['-f', values]), 'ServiceMonitor');
    expect(sm.metadata.labels).toMatchObject({ release: 'prom', 'app.kubernetes.io/instance': 'orders' });
    for (const port of ['http', 'metrics']) {
      expect(sm.spec.endpoints).toContainEqual({ port, path: '/metrics', interval: '15s', scrapeTimeout: '5s', relabelings, metricRelabelings });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('values.schema.json types the monitoring values: a target is a fraction, the latency bound a bucket, no unknown keys', async () => {
  const { Ajv } = await import('ajv');
  const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(repo, 'charts/order-service/values.schema.json'), 'utf8')));
  const defaults = parse(readFileSync(join(repo, 'charts/order-service/values.yaml'), 'utf8')) as K8sObject;
  const withMetrics = (metrics: K8sObject) => ({
    ...defaults,
    metrics: Object.fromEntries(Object.entries(defaults.metrics as K8sObject).map(([k, v]) => [k, { ...(v as K8sObject), ...(metrics[k] ?? {}) }])),
  });
  expect(validate(defaults)).toBe(true);
  expect(validate(withMetrics({ serviceMonitor: { additionalLabels: { release: 'prom' }, relabelings: [{ targetLabel: 'x' }] } }))).toBe(true);
  const slo = defaults.metrics.prometheusRule.slo as K8sObject;
  expect(validate(withMetrics({ prometheusRule: { slo: { ...slo, availability: 99.9 } } }))).toBe(false);
  expect(validate(withMetrics({ prometheusRule: { slo: { ...slo, latency: { target: 0.99, thresholdSeconds: '0.3' } } } }))).toBe(false);
  expect(validate(withMetrics({ serviceMonitor: { scrapeTimeout: 10 } }))).toBe(false);
  expect(validate(withMetrics({ serviceMonitor: { additionalLabel: { release: 'prom' } } }))).toBe(false); // a typo is an error
  expect(validate(withMetrics({ prometheusRule: { runbookBaseUrl: 'docs/operations.md' } }))).toBe(false);
});

test('the dashboard: a panel for each signal, every query on metrics the processes expose (or the chart records), per namespace and release', () => {
  const objects = render(['--set', 'metrics.grafanaDashboard.enabled=true']);
  const recorded = new Set(rulesOf(objects).flatMap((r) => (r.record ? [r.record] : [])));
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1')!;
  const dashboard = JSON.parse(cm.data['order-service.json'] as string) as {
    panels: Array<{ title: string; gridPos: object; targets: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; query: string }> };
  };
  expect(dashboard.panels.map((p) => p.title)).toEqual(
    expect.arrayContaining(['Probe failures by reason', 'Probe duration p95', 'Time since last successful probe', 'Checkout refusals by reason', 'Cache hit ratio', 'Outbox backlog', 'Outbox deliveries']),
  );
  const exposed = exposedMetrics();
  for (const p of dashboard.panels) {
    expect([p.title, p.gridPos, p.targets.length > 0]).toEqual([p.title, expect.anything(), true]);
    for (const { expr } of p.targets) {
      expect([p.title, unknownNames(expr, exposed, recorded)]).toEqual([p.title, []]);
      for (const s of selectorsOf(expr)) expect([p.title, s.name, s.labels]).toEqual([p.title, s.name, expect.arrayContaining(['namespace', 'job'])]);
    }
  }
  for (const v of dashboard.templating.list.filter((x) => x.query.startsWith('label_values('))) {
    const inner = /^label_values\((.*), *[a-z_]+\)$/.exec(v.query)![1]!;
    expect([v.name, unknownNames(inner, exposed, recorded)]).toEqual([v.name, []]);
  }
});
