// The Kubernetes delivery, checked without a cluster: the chart rendered by helm-render for each
// documented combination, every object validated against the Kubernetes schemas, values against
// values.schema.json, the properties that matter asserted, manifests/ in sync, and the Dockerfile's
// paths and entry commands (the alert rules: monitoring.test.ts).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseAllDocuments, parse } from 'yaml';
import { mebibytes } from './container-budget.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const chart = join(repo, 'charts/order-service');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = Record<string, any>;

let helmRender: string;
function render(args: string[] = []): K8sObject[] {
  const text = execFileSync(helmRender, ['--release-name', 'orders', '--namespace', 'shop', ...args, chart], { encoding: 'utf8' });
  return parseStrict(text);
}
function parseStrict(text: string): K8sObject[] {
  return parseAllDocuments(text, { uniqueKeys: true, strict: true })
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join('; '));
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}
const CRDS = ['--api-versions', 'monitoring.coreos.com/v1'];
const COMBINATIONS: Record<string, string[]> = {
  'defaults (no monitoring CRDs)': [],
  'defaults with monitoring CRDs': CRDS,
  'HPA, NetworkPolicy, Ingress, dashboard, CRDs': [...CRDS, '-f', join(repo, 'charts/test/values/all-optional.yaml')],
  'chart-made Secret (development)': ['-f', join(repo, 'charts/test/values/created-secret.yaml')],
  'private CAs from a Secret and a ConfigMap': ['-f', join(repo, 'charts/test/values/private-ca.yaml')],
};

/** The workplace's helm-render: beside the checkout (../shared/tools), or where SHARED_TOOLS_DIR says, or /work/shared/tools. */
function helmRenderBuildScript(): string {
  const candidates = [process.env.SHARED_TOOLS_DIR, join(repo, '../shared/tools'), '/work/shared/tools']
    .filter((d): d is string => !!d)
    .map((d) => join(d, 'helm-render/build.sh'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`helm-render not found (looked for ${candidates.join(', ')}); set SHARED_TOOLS_DIR`);
  return found;
}

beforeAll(() => {
  helmRender = execFileSync(helmRenderBuildScript(), { encoding: 'utf8' }).trim().split('\n').pop()!;
}, 120_000);

async function validateWithSchemas(o: K8sObject): Promise<void> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const modulePath = group ? `kubernetes-models/${group}/${version}/${o.kind}` : `kubernetes-models/${version}/${o.kind}`;
  const mod = (await import(modulePath)) as Record<string, new (x: unknown) => { validate(): void }>;
  new mod[o.kind]!(o).validate();
}

describe.each(Object.entries(COMBINATIONS))('%s', (_name, args) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render(args);
  });

  test('every object is valid against the Kubernetes schemas', async () => {
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const o of objects.filter((x) => !x.apiVersion.startsWith('monitoring.coreos.com'))) await validateWithSchemas(o);
    for (const o of objects.filter((x) => x.apiVersion.startsWith('monitoring.coreos.com'))) {
      expect(o.spec).toBeDefined();
      expect(o.metadata.labels['app.kubernetes.io/name']).toBe('order-service');
    }
  });

  test('the deployment: both containers non-root with resources, probes on the right paths, the readiness gate matches the sidecar', () => {
    const d = objects.find((o) => o.kind === 'Deployment')!;
    const pod = d.spec.template.spec;
    const service = pod.containers.find((c: K8sObject) => c.name === 'order-service');
    const sidecar = pod.initContainers.find((c: K8sObject) => c.name === 'health-sidecar');
    expect(sidecar.restartPolicy).toBe('Always'); // a native sidecar
    for (const c of [service, sidecar]) {
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      expect(c.resources.limits.memory).toBeDefined();
    }
    expect(service.livenessProbe.httpGet.path).toBe('/health/live');
    expect(service.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(service.startupProbe.httpGet.path).toBe('/health/live');
    expect(sidecar.command).toEqual(['node', 'sidecar/dist/main.js']);
    const gateEnv = sidecar.env.find((e: K8sObject) => e.name === 'READINESS_GATE_CONDITION').value;
    expect(pod.readinessGates).toEqual([{ conditionType: gateEnv }]);
    expect(sidecar.env.map((e: K8sObject) => e.name)).toEqual(expect.arrayContaining(['POD_NAME', 'POD_NAMESPACE', 'POD_UID']));
    expect(sidecar.env.find((e: K8sObject) => e.name === 'POD_UID').valueFrom.fieldRef.fieldPath).toBe('metadata.uid');
    const appVersion = (parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;
    for (const c of [...pod.containers, ...pod.initContainers]) expect(c.image).toBe(`ghcr.io/ecommerce/order-service:${appVersion}`);
    expect(service.lifecycle.preStop.sleep.seconds).toBeGreaterThanOrEqual(service.readinessProbe.periodSeconds);
  });

  test('every Node container has a V8 heap cap well inside its memory limit', () => {
    const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec;
    for (const c of [...pod.containers, ...pod.initContainers]) {
      const options = c.env.find((e: K8sObject) => e.name === 'NODE_OPTIONS')?.value as string | undefined;
      const cap = /^--max-old-space-size=(\d+)( --max-semi-space-size=\d+)?( --v8-pool-size=\d+)?$/.exec(options ?? '');
      expect({ container: c.name, cap: cap?.[1] }).toEqual({ container: c.name, cap: expect.stringMatching(/^\d+$/) });
      // the rest of the limit holds the young generation, code and the libraries
      expect(Number(cap![1])).toBeLessThanOrEqual(mebibytes(c.resources.limits.memory) * 0.6);
    }
  });

  test('RBAC is exactly get pods, patch pods/status, create events', () => {
    const role = objects.find((o) => o.kind === 'Role')!;
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
  });

  test('secrets only by reference (a Secret object only when the chart is asked to make one)', () => {
    const secrets = objects.filter((o) => o.kind === 'Secret');
    const text = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
    expect(text).not.toMatch(/postgres(ql)?:\/\/[^"]*:[^"]*@|rediss?:\/\/[^"]*:[^"]*@/);
    expect(text).not.toMatch(/"name":"(DATABASE_URL|REDIS_URL|SECRET_KEY)","value"/);
    if (args.some((a) => a.includes('created-secret'))) expect(secrets).toHaveLength(1);
    else expect(secrets).toHaveLength(0);
  });
});

test('the schema check rejects what Kubernetes would', async () => {
  const d = render().find((o) => o.kind === 'Deployment')!;
  await expect(validateWithSchemas({ ...d, spec: { ...d.spec, replicas: 'two' } })).rejects.toThrow();
  await expect(validateWithSchemas({ ...d, spec: { ...d.spec, selector: undefined } })).rejects.toThrow();
});

test('monitoring objects exist only with the CRDs, optional parts only when enabled', () => {
  const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind).sort();
  expect(kinds(render())).not.toContain('ServiceMonitor');
  expect(kinds(render(CRDS))).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']));
  const all = render(COMBINATIONS['HPA, NetworkPolicy, Ingress, dashboard, CRDs']!);
  expect(kinds(all)).toEqual(expect.arrayContaining(['HorizontalPodAutoscaler', 'NetworkPolicy', 'Ingress']));
  const ingress = all.find((o) => o.kind === 'Ingress')!;
  expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/rewrite-target']).toBe('/$2');
  // its paths (public ones only) and annotations: ingress.test.ts
  expect(ingress.spec.rules[0].http.paths[0]).toMatchObject({ path: '/order(/|$)()$', pathType: 'ImplementationSpecific' });
  expect(all.find((o) => o.kind === 'Deployment')!.spec.replicas).toBeUndefined(); // the HPA owns it
  const svc = all.find((o) => o.kind === 'Service')!;
  expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 8081 }), expect.objectContaining({ name: 'metrics', port: 9091 })]);
});

test('tracing is off by default (no OTEL_* at all) and, with an endpoint, passes the OTEL_* settings and the headers from a Secret', () => {
  const env = (objects: K8sObject[]) => {
    const data = objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
    const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers.find((c: K8sObject) => c.name === 'order-service');
    return { data, env: container.env as K8sObject[] };
  };
  const off = env(render());
  expect(Object.keys(off.data).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
  expect(off.env.map((e) => e.name)).not.toContain('OTEL_EXPORTER_OTLP_HEADERS');
  const on = env(render(COMBINATIONS['HPA, NetworkPolicy, Ingress, dashboard, CRDs']!));
  expect(on.data).toMatchObject({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
    OTEL_SERVICE_NAME: 'order-service',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  });
  expect(on.env.find((e) => e.name === 'OTEL_EXPORTER_OTLP_HEADERS')).toEqual({
    name: 'OTEL_EXPORTER_OTLP_HEADERS',
    valueFrom: { secretKeyRef: { name: 'otel-collector-auth', key: 'OTEL_EXPORTER_OTLP_HEADERS' } },
  });
});

test('values.yaml and every test values file satisfy values.schema.json; bad values do not', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')));
  const defaults = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as K8sObject;
  const merge = (a: K8sObject, b: K8sObject): K8sObject =>
    Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, b[k] && typeof b[k] === 'object' && !Array.isArray(b[k]) && a[k] ? merge(a[k], b[k]) : (b[k] ?? a[k])]));
  expect(validate(defaults)).toBe(true);
  for (const f of ['all-optional.yaml', 'created-secret.yaml', 'manifests.yaml', 'private-ca.yaml']) {
    const merged = merge(defaults, parse(readFileSync(join(repo, 'charts/test/values', f), 'utf8')) as K8sObject);
    expect([f, validate(merged), validate.errors]).toEqual([f, true, null]);
  }
  expect(validate(merge(defaults, { secrets: { create: true, existingSecret: '', databaseUrl: 'x', redisUrl: 'y', secretKey: 'short' } }))).toBe(false);
  expect(validate(merge(defaults, { config: { HEALTH_DETAILS: 'everyone' } }))).toBe(false);
  expect(validate(merge(defaults, { replicas: 3 }))).toBe(false); // a typo is an error, not ignored
  expect(validate(merge(defaults, { tls: { databaseCa: { secretName: 'a', configMapName: 'b' } } }))).toBe(false); // one source, not two
});

test('private CA bundles: mounted read-only where DATABASE_CA_FILE / REDIS_CA_FILE point, in the service and the sidecar (the database one in migrate too); none by default', () => {
  const pod = render(COMBINATIONS['private CAs from a Secret and a ConfigMap']!).find((o) => o.kind === 'Deployment')!.spec.template.spec;
  expect(pod.volumes).toEqual(
    expect.arrayContaining([
      { name: 'database-ca', secret: { secretName: 'postgres-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { name: 'redis-ca', configMap: { name: 'redis-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] } },
    ]),
  );
  const container = (name: string) => [...pod.containers, ...pod.initContainers].find((c: K8sObject) => c.name === name);
  /** the file a CA variable names, if a read-only mount of the given volume holds it */
  const mounted = (c: K8sObject, variable: string, volume: string) => {
    const file = c.env.find((e: K8sObject) => e.name === variable)?.value as string | undefined;
    const mount = (c.volumeMounts ?? []).find((m: K8sObject) => m.name === volume);
    return file !== undefined && mount?.readOnly === true && file === `${mount.mountPath}/ca.crt`;
  };
  for (const name of ['order-service', 'health-sidecar']) {
    expect([name, mounted(container(name), 'DATABASE_CA_FILE', 'database-ca'), mounted(container(name), 'REDIS_CA_FILE', 'redis-ca')]).toEqual([name, true, true]);
  }
  expect(mounted(container('migrate'), 'DATABASE_CA_FILE', 'database-ca')).toBe(true);
  expect(container('migrate').env.map((e: K8sObject) => e.name)).not.toContain('REDIS_CA_FILE');

  const plain = render().find((o) => o.kind === 'Deployment')!.spec.template.spec;
  const names = [...plain.containers, ...plain.initContainers].flatMap((c: K8sObject) => c.env.map((e: K8sObject) => e.name));
  expect(names).not.toEqual(expect.arrayContaining(['DATABASE_CA_FILE']));
  expect(names).not.toContain('REDIS_CA_FILE');
  expect(plain.volumes.map((v: K8sObject) => v.name)).toEqual(['tmp']);
  expect(() => render(['--set', 'tls.redisCa.secretName=a', '--set', 'tls.redisCa.configMapName=b'])).toThrow(/set secretName or configMapName, not both/);
});

test('manifests/ is the chart rendered with charts/test/values/manifests.yaml', () => {
  const committed = parseStrict(readFileSync(join(repo, 'manifests/order-service.yaml'), 'utf8'));
  expect(committed).toEqual(render(['-f', join(repo, 'charts/test/values/manifests.yaml')]));
});

describe('Dockerfile', () => {
  const lines = readFileSync(join(repo, 'Dockerfile'), 'utf8').split('\n');

  test('every path it copies exists after the build', () => {
    const copies = lines.filter((l) => l.startsWith('COPY '));
    expect(copies.length).toBeGreaterThan(5);
    for (const line of copies) {
      const parts = line.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        const path = line.includes('--from=build') ? src.replace(/^\/app\//, '') : src;
        expect([path, existsSync(join(repo, path))]).toEqual([path, true]);
      }
    }
    expect(lines.find((l) => l.startsWith('USER '))).toBe('USER 10001:10001');
    expect(lines.filter((l) => l.startsWith('FROM ')).every((l) => /node:20\.\d+\.\d+-bookworm-slim/.test(l))).toBe(true);
  });

  test("its default command starts the built service (which refuses production without its secrets, in one line)", () => {
    const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    let stderr = '';
    try {
      execFileSync(process.execPath, cmd.slice(1), { cwd: repo, env: { PATH: process.env.PATH ?? '', ENVIRONMENT: 'production' }, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr: string }).stderr);
    }
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/DATABASE_URL.*SECRET_KEY.*REDIS_URL|DATABASE_URL.*REDIS_URL.*SECRET_KEY/);
  });

  test('the sidecar command starts the built sidecar', async () => {
    const s = createServer().listen(0, '127.0.0.1');
    await once(s, 'listening');
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const child = spawn(process.execPath, ['sidecar/dist/main.js'], { cwd: repo, env: { PATH: process.env.PATH ?? '', SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: String(port) }, stdio: 'ignore' });
    try {
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      }
      expect(status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

test('every YAML file of the repository parses strictly (duplicate keys are errors)', () => {
  const files = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { cwd: repo, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.includes('/templates/')); // templates are Go templates, checked by rendering
  expect(files).toEqual(expect.arrayContaining(['skaffold.yaml', 'openapi/order-service.yaml', 'charts/order-service/values.yaml', 'manifests/order-service.yaml']));
  for (const f of files) expect([f, parseStrict(readFileSync(join(repo, f), 'utf8')).length > 0]).toEqual([f, true]);
});
