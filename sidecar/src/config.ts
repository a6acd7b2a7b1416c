// The sidecar's configuration: read from the environment once, here only, validated with zod as the
// service's is: every bad value is refused, all of them named in one line.

import { readFileSync } from 'node:fs';
import { CRITICAL_DEPENDENCY, DEPENDENCIES, kindOf, type DependencyKind, type DependencyName } from '@orders/health-snapshot';
import { z } from 'zod';

export interface DependencyConfig {
  name: DependencyName;
  kind: DependencyKind;
  critical: boolean;
  platform: string;
  provider: string;
  /** connection URL (database, cache) or full probe URL (peers); null: not configured */
  target: string | null;
  timeoutMs: number;
  intervalMs: number;
  /** DATABASE_CA_FILE / REDIS_CA_FILE: a PEM CA bundle trusted instead of the system CAs when TLS is on (as the service does) */
  ca: { file: string; pem: string } | null;
  /** peers: the `status` their health body gives when all is well (any other word is a warning) */
  healthyStatus: string | null;
}

export interface SidecarConfig {
  host: string;
  port: number;
  environment: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  version: string;
  jitterRatio: number;
  /** a response slower than this share of the timeout is a warning */
  slowRatio: number;
  failureThreshold: number;
  recoveryThreshold: number;
  /** the critical dependency's re-probe interval while failing or unhealthy (HAProxy's fastinter) */
  fastIntervalMs: number;
  dependencies: DependencyConfig[];
  kube: {
    conditionType: string;
    podName: string | null;
    namespace: string | null;
    podUid: string | null;
  };
}

export class SidecarConfigError extends Error {}

const ENV_KEY: Record<DependencyName, string> = {
  postgres: 'POSTGRES',
  redis: 'REDIS',
  'user-service': 'USER_SERVICE',
  'cart-service': 'CART_SERVICE',
  'product-service': 'PRODUCT_SERVICE',
  'search-service': 'SEARCH_SERVICE',
};

/**
 * CONTRACTS.md §5: where each runs, how long its probe may take, and for the peers the health path
 * under their base URL (the user service's too: in-cluster `/health`, behind the gateway the base
 * ends in /user) and the word their health body says when all is well.
 */
const PLATFORM: Record<DependencyName, { platform: string; provider: string; timeoutMs: number; path?: string; healthy?: string }> = {
  postgres: { platform: 'Neon (AWS us-east-2)', provider: 'neon', timeoutMs: 5000 },
  redis: { platform: 'Upstash', provider: 'upstash', timeoutMs: 5000 },
  'user-service': { platform: 'GKE', provider: 'gke', timeoutMs: 15000, path: '/health', healthy: 'healthy' },
  'cart-service': { platform: 'Heroku', provider: 'heroku', timeoutMs: 10000, path: '/health', healthy: 'UP' },
  'product-service': { platform: 'Heroku', provider: 'heroku', timeoutMs: 10000, path: '/health', healthy: 'healthy' },
  'search-service': { platform: 'Render', provider: 'render', timeoutMs: 15000, path: '/health', healthy: 'healthy' },
};

/** A number of seconds or milliseconds as text; empty counts as unset (operators template `FOO=`). */
const amount = (fallback: number) =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, 'must be a non-negative number')
      .transform(Number)
      .optional()
      .transform((n) => n ?? fallback),
  );
const whole = (fallback: number, min: number, max: number) =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .optional()
      .transform((n) => n ?? fallback),
  );
const LOG_LEVELS: Record<string, SidecarConfig['logLevel']> = { debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error' };

/** A PEM CA bundle named by the variable: read once at start, so a wrong path stops start-up naming it. */
const caFile = z
  .string()
  .optional()
  .transform((file, ctx) => {
    if (!file) return null;
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${file})` });
      return z.NEVER;
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      ctx.addIssue({ code: 'custom', message: `holds no PEM certificate (${file})` });
      return z.NEVER;
    }
    return { file, pem };
  });

/** One schema for every variable the sidecar reads (the service's config.ts does the same with the same library). */
function schemaFor(env: NodeJS.ProcessEnv) {
  const interval = amount(15).safeParse(env.PROBE_INTERVAL_SECONDS);
  const intervalSeconds = interval.success ? interval.data : 15;
  const perDependency = Object.fromEntries(
    DEPENDENCIES.flatMap((name) => [
      [`PROBE_${ENV_KEY[name]}_TIMEOUT_MS`, amount(PLATFORM[name].timeoutMs)],
      [`PROBE_${ENV_KEY[name]}_INTERVAL_SECONDS`, amount(intervalSeconds)],
    ]),
  );
  return z.object({
    PROBE_INTERVAL_SECONDS: amount(15),
    // zero would re-probe a failing database in a busy loop
    PROBE_FAST_INTERVAL_SECONDS: amount(2).refine((n) => n > 0, 'must be a positive number'),
    SIDECAR_PORT: whole(9091, 0, 65535),
    CRITICAL_FAILURE_THRESHOLD: whole(3, 1, 100),
    CRITICAL_RECOVERY_THRESHOLD: whole(2, 1, 100),
    LOG_LEVEL: z
      .string()
      .optional()
      .transform((v) => (v ?? 'INFO').trim().toLowerCase())
      .refine((v) => v in LOG_LEVELS, 'must be DEBUG, INFO, WARNING or ERROR')
      .transform((v) => LOG_LEVELS[v]!),
    DATABASE_CA_FILE: caFile,
    REDIS_CA_FILE: caFile,
    ...perDependency,
  });
}

type ParsedEnv = Record<string, unknown> & z.infer<ReturnType<typeof schemaFor>>;

export function loadSidecarConfig(env: NodeJS.ProcessEnv = process.env): SidecarConfig {
  const parsed = schemaFor(env).safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`);
    throw new SidecarConfigError(`Invalid sidecar configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data as ParsedEnv;
  return {
    host: env.SIDECAR_HOST ?? '0.0.0.0',
    port: e.SIDECAR_PORT,
    environment: (env.ENVIRONMENT ?? 'development').toLowerCase(),
    logLevel: e.LOG_LEVEL,
    version: env.SERVICE_VERSION ?? '0.1.0',
    jitterRatio: 0.1,
    slowRatio: 0.5,
    failureThreshold: e.CRITICAL_FAILURE_THRESHOLD,
    recoveryThreshold: e.CRITICAL_RECOVERY_THRESHOLD,
    fastIntervalMs: e.PROBE_FAST_INTERVAL_SECONDS * 1000,
    dependencies: DEPENDENCIES.map((name) => dependencyConfig(name, env, e)),
    kube: {
      conditionType: env.READINESS_GATE_CONDITION ?? 'orders.ecommerce.dev/dependencies-ready',
      podName: env.POD_NAME ?? null,
      namespace: env.POD_NAMESPACE ?? null,
      podUid: env.POD_UID ?? null,
    },
  };
}

/** Where one dependency is, how it is probed and the labels of where it runs. */
function dependencyConfig(name: DependencyName, env: NodeJS.ProcessEnv, e: ParsedEnv): DependencyConfig {
  const p = PLATFORM[name];
  const key = ENV_KEY[name];
  const kind = kindOf(name);
  const urls: Record<DependencyName, string | undefined> = {
    postgres: env.DATABASE_URL?.replace(/^postgresql\+asyncpg:\/\//, 'postgresql://'),
    redis: env.REDIS_URL,
    'user-service': env.USER_SERVICE_URL,
    'cart-service': env.CART_SERVICE_URL,
    'product-service': env.PRODUCT_SERVICE_URL,
    'search-service': env.SEARCH_SERVICE_URL,
  };
  const cas: Partial<Record<DependencyName, { file: string; pem: string } | null>> = { postgres: e.DATABASE_CA_FILE, redis: e.REDIS_CA_FILE };
  const base = urls[name] || null;
  const target = base && kind === 'peer' ? base.replace(/\/+$/, '') + (env[`PROBE_${key}_PATH`] ?? p.path!) : base;
  return {
    name,
    kind,
    critical: name === CRITICAL_DEPENDENCY,
    // labels for where it runs: the platform's by default, the environment's where it differs (npm start's stand-ins)
    platform: env[`PROBE_${key}_PLATFORM`]?.trim() || p.platform,
    provider: env[`PROBE_${key}_PROVIDER`]?.trim() || p.provider,
    target,
    timeoutMs: e[`PROBE_${key}_TIMEOUT_MS`] as number,
    intervalMs: (e[`PROBE_${key}_INTERVAL_SECONDS`] as number) * 1000,
    ca: cas[name] ?? null,
    healthyStatus: p.healthy ?? null,
  };
}
