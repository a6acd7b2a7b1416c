// values.schema.json documents and types every value: a description on every key at every depth,
// and `config:` (the service's ConfigMap) typed key by key: only variables the service reads, each
// shaped as it accepts it, none that the chart sets itself or that belong in the Secret.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { chart, repo, type K8sObject } from './chart-render.js';

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}

const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as Schema;
const defaults = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as K8sObject;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const withConfig = (config: Record<string, unknown>) => ({ ...defaults, config: { ...defaults.config, ...config } });

/** The environment variables the service's configuration reads (the keys of its sections' zod schemas). */
function serviceVariables(): Set<string> {
  const dir = join(repo, 'services/order-service/src/config');
  const source = readdirSync(dir).map((file) => readFileSync(join(dir, file), 'utf8')).join('\n');
  return new Set([...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!));
}

// set by the chart from other values (OTEL_* from tracing.*), or secrets, or not for a cluster
// (WEBHOOKS_ALLOW_PRIVATE_TARGETS is refused in production)
const NOT_IN_CONFIG = ['ENVIRONMENT', 'LOG_LEVEL', 'SERVICE_PORT', 'SHUTDOWN_DELAY_SECONDS', 'MIGRATE_ON_START', 'SIDECAR_URL', 'DATABASE_CA_FILE', 'REDIS_CA_FILE', 'DATABASE_URL', 'REDIS_URL', 'SECRET_KEY', 'TEST_FAULT_POINT', 'DATABASE_SINGLE_SESSION', 'WEBHOOKS_ALLOW_PRIVATE_TARGETS'];

test('every key at every depth has a description', () => {
  const undocumented: string[] = [];
  const visit = (s: Schema, path: string[]) => {
    for (const [key, child] of Object.entries(s.properties ?? {})) {
      const at = [...path, key];
      if (!child.description?.trim()) undocumented.push(at.join('.'));
      visit(child, at);
    }
  };
  visit(schema, []);
  expect(undocumented).toEqual([]);
  expect(Object.keys(schema.properties ?? {}).length).toBeGreaterThan(20);
});

test('config: only the service’s own variables, each one it reads and docs/configuration.md lists; none the chart sets or the Secret holds', () => {
  const config = schema.properties!.config!;
  expect(config.additionalProperties).toBe(false);
  const keys = Object.keys(config.properties ?? {});
  const read = serviceVariables();
  const documented = readFileSync(join(repo, 'docs/configuration.md'), 'utf8');
  expect(read.has('PEER_TIMEOUT_MS')).toBe(true); // the reader finds the schema's keys
  expect(keys.filter((k) => !read.has(k))).toEqual([]);
  expect(keys.filter((k) => !documented.includes(`\`${k}\``))).toEqual([]);
  expect(keys.filter((k) => NOT_IN_CONFIG.includes(k) || k.startsWith('OTEL_'))).toEqual([]);
  // and every variable the service reads is either settable here or named as the chart's own
  expect([...read].filter((k) => !keys.includes(k) && !NOT_IN_CONFIG.includes(k) && !['KUBERNETES_SERVICE_HOST'].includes(k) && !k.startsWith('OTEL_') && !/^(DEBUG|INFO|WARN|WARNING|ERROR)$/.test(k))).toEqual([]);
});

test('config values are checked as the service would read them: typos, wrong shapes and secrets refused', () => {
  expect(validate(defaults)).toBe(true);
  expect(validate(withConfig({ PEER_TIMEOUT_MS: '2500', TAX_RATE: '0.0825', STOCK_MANAGEMENT: 'false', ACCOUNT_CHECK_WHEN_UNAVAILABLE: 'refuse', EVENTS_STREAM_MAX_LENGTH: '200000' }))).toBe(true);
  const refused: Array<Record<string, unknown>> = [
    { PEER_TIMEOUT: '2500' }, // a typo of PEER_TIMEOUT_MS
    { PEER_TIMEOUT_MS: '2.5s' },
    { TAX_RATE: '10%' },
    { STOCK_MANAGEMENT: 'maybe' },
    { HEALTH_DETAILS: 'everyone' },
    { PRODUCT_SERVICE_URL: 'product-service:3001' },
    { SECRET_KEY: 'k'.repeat(32) },
    { DATABASE_URL: 'postgresql://x' },
    { ENVIRONMENT: 'development' },
  ];
  for (const config of refused) expect([config, validate(withConfig(config))]).toEqual([config, false]);
});
