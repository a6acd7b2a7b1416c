// The sidecar's configuration: read from the environment once, here only.

import { readFileSync } from 'node:fs';

export type DependencyName = 'postgres' | 'redis' | 'user-service' | 'cart-service' | 'product-service' | 'search-service';
export type DependencyKind = 'database' | 'cache' | 'peer';

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
const PLATFORM: Record<DependencyName, { kind: DependencyKind; platform: string; provider: string; timeoutMs: number; path?: string; healthy?: string }> = {
  postgres: { kind: 'database', platform: 'Neon (AWS us-east-2)', provider: 'neon', timeoutMs: 5000 },
  redis: { kind: 'cache', platform: 'Upstash', provider: 'upstash', timeoutMs: 5000 },
  'user-service': { kind: 'peer', platform: 'GKE', provider: 'gke', timeoutMs: 15000, path: '/health', healthy: 'healthy' },
  'cart-service': { kind: 'peer', platform: 'Heroku', provider: 'heroku', timeoutMs: 10000, path: '/health', healthy: 'UP' },
  'product-service': { kind: 'peer', platform: 'Heroku', provider: 'heroku', timeoutMs: 10000, path: '/health', healthy: 'healthy' },
  'search-service': { kind: 'peer', platform: 'Render', provider: 'render', timeoutMs: 15000, path: '/health', healthy: 'healthy' },
};

function intOf(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    problems.push(`${name} must be a non-negative number`);
    return fallback;
  }
  return n;
}

/** A PEM CA bundle named by `name`: read once at start, so a wrong path stops start-up naming it. */
function caOf(env: NodeJS.ProcessEnv, name: string, problems: string[]): { file: string; pem: string } | null {
  const file = env[name];
  if (!file) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${file})`);
    return null;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`${name} holds no PEM certificate (${file})`);
    return null;
  }
  return { file, pem };
}

export function loadSidecarConfig(env: NodeJS.ProcessEnv = process.env): SidecarConfig {
  const problems: string[] = [];
  const intervalMs = intOf(env, 'PROBE_INTERVAL_SECONDS', 15, problems) * 1000;
  const fastIntervalMs = intOf(env, 'PROBE_FAST_INTERVAL_SECONDS', 2, problems) * 1000;
  // zero would re-probe a failing database in a busy loop
  if (fastIntervalMs === 0) problems.push('PROBE_FAST_INTERVAL_SECONDS must be a positive number');
  const cas: Partial<Record<DependencyName, { file: string; pem: string } | null>> = {
    postgres: caOf(env, 'DATABASE_CA_FILE', problems),
    redis: caOf(env, 'REDIS_CA_FILE', problems),
  };
  const urls: Record<DependencyName, string | undefined> = {
    postgres: env.DATABASE_URL?.replace(/^postgresql\+asyncpg:\/\//, 'postgresql://'),
    redis: env.REDIS_URL,
    'user-service': env.USER_SERVICE_URL,
    'cart-service': env.CART_SERVICE_URL,
    'product-service': env.PRODUCT_SERVICE_URL,
    'search-service': env.SEARCH_SERVICE_URL,
  };
  const dependencies = (Object.keys(PLATFORM) as DependencyName[]).map((name): DependencyConfig => {
    const p = PLATFORM[name];
    const key = ENV_KEY[name];
    const base = urls[name] || null;
    let target = base;
    if (base && p.kind === 'peer') {
      const path = env[`PROBE_${key}_PATH`] ?? p.path!;
      target = base.replace(/\/+$/, '') + path;
    }
    return {
      name,
      kind: p.kind,
      critical: name === 'postgres',
      // labels for where it runs: the platform's by default, the environment's where it differs (npm start's stand-ins)
      platform: env[`PROBE_${key}_PLATFORM`]?.trim() || p.platform,
      provider: env[`PROBE_${key}_PROVIDER`]?.trim() || p.provider,
      target,
      timeoutMs: intOf(env, `PROBE_${key}_TIMEOUT_MS`, p.timeoutMs, problems),
      intervalMs: intOf(env, `PROBE_${key}_INTERVAL_SECONDS`, intervalMs / 1000, problems) * 1000,
      ca: cas[name] ?? null,
      healthyStatus: p.healthy ?? null,
    };
  });
  const level = (env.LOG_LEVEL ?? 'INFO').trim().toLowerCase();
  if (!['debug', 'info', 'warning', 'warn', 'error'].includes(level)) problems.push('LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR');
  const logLevel = level === 'warning' ? 'warn' : level;
  // read before the check below, so a bad value among these is reported too
  const port = intOf(env, 'SIDECAR_PORT', 9091, problems);
  const failureThreshold = intOf(env, 'CRITICAL_FAILURE_THRESHOLD', 3, problems) || 1;
  const recoveryThreshold = intOf(env, 'CRITICAL_RECOVERY_THRESHOLD', 2, problems) || 1;
  if (problems.length) throw new SidecarConfigError(`Invalid sidecar configuration: ${problems.join('; ')}`);
  return {
    host: env.SIDECAR_HOST ?? '0.0.0.0',
    port,
    environment: (env.ENVIRONMENT ?? 'development').toLowerCase(),
    logLevel: logLevel as SidecarConfig['logLevel'],
    version: env.SERVICE_VERSION ?? '0.1.0',
    jitterRatio: 0.1,
    slowRatio: 0.5,
    failureThreshold,
    recoveryThreshold,
    fastIntervalMs,
    dependencies,
    kube: {
      conditionType: env.READINESS_GATE_CONDITION ?? 'orders.ecommerce.dev/dependencies-ready',
      podName: env.POD_NAME ?? null,
      namespace: env.POD_NAMESPACE ?? null,
      podUid: env.POD_UID ?? null,
    },
  };
}
