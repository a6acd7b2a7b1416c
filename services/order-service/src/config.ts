// The one place that reads the environment: every variable of CONTRACTS.md §1 plus the service's
// extras, validated once into a typed, frozen Config. Everything else takes the Config as a parameter.
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { SSLMODES } from './data/database-tls.js';
import { toBasisPoints, toMinorUnits } from './domain/money.js';
import { isSafePrefix } from './http/public-path.js';

export type Environment = 'production' | 'development' | 'test';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type HealthDetails = 'never' | 'admin' | 'always';

export interface Config {
  environment: Environment;
  serviceName: string;
  serviceHost: string;
  servicePort: number;
  version: string;
  logLevel: LogLevel;
  /** normalised to postgresql:// (the old postgresql+asyncpg:// form is accepted) */
  databaseUrl: string;
  /** DATABASE_CA_FILE: PEM bundle trusted for PostgreSQL when the URL names no sslrootcert (system CAs otherwise) */
  databaseCaFile: string | undefined;
  /** undefined outside production means "no cache" */
  redisUrl: string | undefined;
  /** REDIS_CA_FILE: PEM bundle trusted for rediss:// (system CAs otherwise) */
  redisCaFile: string | undefined;
  secretKey: string;
  /** true when no SECRET_KEY was given outside production and a random one was made for this process */
  secretKeyGenerated: boolean;
  algorithm: 'HS256';
  accessTokenExpireMinutes: number;
  peers: {
    userServiceUrl: string | undefined;
    cartServiceUrl: string | undefined;
    productServiceUrl: string | undefined;
    searchServiceUrl: string | undefined;
  };
  /** the user service's word on the caller's account before a checkout (only with USER_SERVICE_URL) */
  accountCheck: {
    /** ACCOUNT_CHECK_CACHE_SECONDS: an answer reused per token for this long (0: ask every time) */
    cacheSeconds: number;
    /** ACCOUNT_CHECK_WHEN_UNAVAILABLE: a checkout while the user service cannot answer is allowed or refused (503) */
    whenUnavailable: 'allow' | 'refuse';
  };
  cors: {
    /** exact origins allowed (the configured peers' origins, CORS_DEFAULT_ORIGINS and CORS_ORIGINS) */
    origins: readonly string[];
    /** development only: any http://localhost:<port> and http://127.0.0.1:<port> */
    allowLoopback: boolean;
  };
  /** PUBLIC_PATH_PREFIX: the prefix clients see when a trusted proxy sends no X-Forwarded-Prefix ('/order') */
  publicPathPrefix: string | undefined;
  /** TRUSTED_PROXIES: Express `trust proxy` (names, addresses, CIDRs) whose X-Forwarded-* headers count */
  trustedProxies: readonly string[];
  pricing: {
    /** TAX_RATE as given, e.g. "0.10" */
    taxRate: string;
    taxRateBasisPoints: number;
    shippingFlatMinor: number;
    freeShippingThresholdMinor: number;
  };
  stockManagement: boolean;
  idempotencyTtlHours: number;
  /** RETENTION_*: what the retention purge deletes after how long, in batches of how many rows, how often */
  retention: { outboxDeliveredHours: number; reservationsSettledHours: number; batchSize: number; intervalSeconds: number };
  /** checkout safety timings (seconds / ms) */
  checkout: {
    idempotencyLeaseSeconds: number;
    reconcileGraceSeconds: number;
    reconcileIntervalSeconds: number;
    outboxIntervalMs: number;
    /** the Redis stream order events go to */
    eventsStream: string;
    /** EVENTS_STREAM_MAX_LENGTH: entries the stream keeps (XADD MAXLEN ~), which sizes its Redis memory */
    eventsStreamMaxLength: number;
  };
  /** Redis key prefix of the order and statistics cache */
  cachePrefix: string;
  /** ENVIRONMENT=test only: a named point where the process kills itself (crash-safety tests) */
  testFaultPoint: 'after-stock-update' | 'after-event-publish' | null;
  peerTimeoutMs: number;
  dbPoolMax: number;
  /** every database query's deadline (client side) and the stock lock transaction's statement_timeout */
  dbQueryTimeoutMs: number;
  /** DATABASE_SINGLE_SESSION: an embedded one-session PostgreSQL (PGlite); never in production */
  dbSingleSession: boolean;
  sidecarUrl: string;
  healthDetails: HealthDetails;
  shutdownDelaySeconds: number;
  migrateOnStart: boolean;
  /** where the process runs, for /health/info: kubernetes when the cluster's env is present */
  platform: 'kubernetes' | 'local';
  /** OTEL_*: spans exported over OTLP/HTTP when an endpoint is set; W3C trace context is honoured either way */
  tracing: TracingConfig;
  /** WEBHOOKS_*: signed deliveries of order events to the endpoints an admin registered */
  webhooks: WebhooksConfig;
}

export interface WebhooksConfig {
  /** WEBHOOKS_ALLOW_PRIVATE_TARGETS: loopback, private, link-local targets allowed (never in production) */
  allowPrivateTargets: boolean;
  /** WEBHOOKS_ALLOW_HTTP: plain http:// endpoints (default: outside production only) */
  allowHttp: boolean;
  /** WEBHOOKS_MAX_ATTEMPTS: attempts before a delivery is final `failed` */
  maxAttempts: number;
  /** WEBHOOKS_TIMEOUT_MS: how long an endpoint may take to answer */
  timeoutMs: number;
  /** WEBHOOKS_RETRY_BASE_MS and WEBHOOKS_RETRY_MAX_SECONDS: backoff base × 2^(attempt−1), capped, with jitter */
  retryBaseMs: number;
  retryMaxSeconds: number;
  /** WEBHOOKS_INTERVAL_MS: how often the worker looks for due deliveries */
  intervalMs: number;
  /** WEBHOOKS_SECRET_OVERLAP_HOURS: how long a rotated-out secret keeps signing beside the new one */
  secretOverlapHours: number;
}

export type TraceSampler = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; undefined: no SDK, no export */
  tracesEndpoint: string | undefined;
  /** OTEL_EXPORTER_OTLP_HEADERS (a collector's credentials: never shown) */
  headers: Readonly<Record<string, string>>;
  /** OTEL_SERVICE_NAME, else SERVICE_NAME */
  serviceName: string;
  sampler: TraceSampler;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the traceidratio samplers */
  samplerRatio: number;
}

/** Thrown by loadConfig; its message is one line naming every problem (never a value). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The platform's own browser origin (CONTRACTS §3), allowed in production unless CORS_DEFAULT_ORIGINS replaces it. */
export const PRODUCTION_DEFAULT_ORIGINS = ['https://ecommerce-microservices-platform.vercel.app'] as const;
const DEFAULT_TRUSTED_PROXIES = ['loopback', 'linklocal', 'uniquelocal'];

const REQUIRED_IN_PRODUCTION = ['DATABASE_URL', 'SECRET_KEY', 'REDIS_URL'] as const;
const DEVELOPMENT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/orders';
const SERVICE_VERSION = '0.1.0';

const LOG_LEVELS: Record<string, LogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
};

const boolText = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const intText = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const decimalText = z
  .string()
  .trim()
  .regex(/^\d+(\.\d{1,2})?$/, 'must be a decimal amount like 10.00');

const rateText = z
  .string()
  .trim()
  .regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'must be a rate between 0 and 1 like 0.10');

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL')
  .transform((v) => v.replace(/\/+$/, ''));

// "none" replaces the built-in list with nothing (an empty variable counts as unset, so it cannot)
const originList = z
  .string()
  .trim()
  .transform((v) => (v.toLowerCase() === 'none' ? [] : v.split(',').map((item) => item.trim()).filter(Boolean)))
  .superRefine((items, ctx) => {
    for (const item of items) {
      let url: URL | undefined;
      try {
        url = new URL(item);
      } catch {
        url = undefined;
      }
      const bare = url && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
      if (!url || !bare || !['http:', 'https:'].includes(url.protocol)) {
        ctx.addIssue({ code: 'custom', message: 'must be none or comma-separated origins like https://shop.example' });
        return;
      }
    }
  })
  .transform((items) => items.map((item) => new URL(item).origin));

const pathPrefix = z
  .string()
  .trim()
  .refine(isSafePrefix, 'must start with /, not end with /, and use only letters, digits and . _ ~ - (e.g. /order)');

const trustedProxyList = z
  .string()
  .trim()
  .transform((v) => v.split(',').map((item) => item.trim()).filter(Boolean))
  .refine((items) => items.length > 0 && items.every(isProxyAddress), 'must be loopback, linklocal, uniquelocal, IP addresses or CIDRs, comma-separated');

function isProxyAddress(item: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) return true;
  const [address = '', bits, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** Why a CA bundle cannot be used (errno or content), or undefined; never the path or the content. */
function caFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    new X509Certificate(text);
  } catch {
    return 'holds no PEM certificate';
  }
  return undefined;
}

// a CA bundle is read at start-up, so a missing mount stops the pod instead of failing every connection
const caFile = z
  .string()
  .trim()
  .superRefine((path, ctx) => {
    const problem = caFileProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => /^(postgres|postgresql|postgresql\+asyncpg):\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
  .transform(normaliseDatabaseUrl)
  .superRefine((url, ctx) => {
    const params = new URL(url).searchParams;
    const sslmode = params.get('sslmode');
    if (sslmode !== null && !(SSLMODES as readonly string[]).includes(sslmode)) {
      ctx.addIssue({ code: 'custom', message: `sslmode must be one of ${SSLMODES.join(', ')}` });
    }
    const rootcert = params.get('sslrootcert');
    const problem = rootcert === null ? undefined : caFileProblem(rootcert);
    if (problem) ctx.addIssue({ code: 'custom', message: `sslrootcert ${problem}` });
  });

const redisUrl = z
  .string()
  .trim()
  .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');

const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

// W3C Baggage-style `key=value,key2=value2` (values percent-encoded), as OpenTelemetry defines it
const otlpHeaders = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const headers: Record<string, string> = {};
    for (const pair of v.split(',').map((p) => p.trim()).filter(Boolean)) {
      const at = pair.indexOf('=');
      const key = at > 0 ? pair.slice(0, at).trim() : '';
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated key=value pairs' });
        return z.NEVER;
      }
      try {
        headers[key.toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: 'has a value that is not percent-encoded properly' });
        return z.NEVER;
      }
    }
    return headers;
  });

const environmentSchema = z.object({
  ENVIRONMENT: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['production', 'development', 'test'], { error: 'must be production, development or test' }))
    .default('development'),
  SERVICE_NAME: z.string().trim().min(1).default('order-service'),
  SERVICE_HOST: z.string().trim().min(1).default('0.0.0.0'),
  SERVICE_PORT: intText(0, 65535).default(8081),
  LOG_LEVEL: z
    .string()
    .trim()
    .toUpperCase()
    .refine((v) => v in LOG_LEVELS, 'must be DEBUG, INFO, WARNING or ERROR')
    .transform((v) => LOG_LEVELS[v] as LogLevel)
    .default('info'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_CA_FILE: caFile.optional(),
  REDIS_URL: redisUrl.optional(),
  REDIS_CA_FILE: caFile.optional(),
  SECRET_KEY: z.string().optional(),
  ALGORITHM: z.string().trim().refine((v) => v === 'HS256', 'must be HS256 (the only algorithm the user service issues)').default('HS256'),
  ACCESS_TOKEN_EXPIRE_MINUTES: intText(1, 7 * 24 * 60).default(30),
  USER_SERVICE_URL: httpUrl.optional(),
  CART_SERVICE_URL: httpUrl.optional(),
  PRODUCT_SERVICE_URL: httpUrl.optional(),
  SEARCH_SERVICE_URL: httpUrl.optional(),
  CORS_ORIGINS: z.string().optional(),
  // at most a minute: that long a blocked shopper may still buy with a token checked before the block
  ACCOUNT_CHECK_CACHE_SECONDS: intText(0, 60).default(30),
  ACCOUNT_CHECK_WHEN_UNAVAILABLE: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['allow', 'refuse'], { error: 'must be allow or refuse' }))
    .default('allow'),
  CORS_DEFAULT_ORIGINS: originList.optional(),
  PUBLIC_PATH_PREFIX: pathPrefix.optional(),
  TRUSTED_PROXIES: trustedProxyList.optional(),
  TAX_RATE: rateText.default('0.10'),
  SHIPPING_FLAT: decimalText.default('10.00'),
  FREE_SHIPPING_THRESHOLD: decimalText.default('100.00'),
  STOCK_MANAGEMENT: boolText.default(true),
  IDEMPOTENCY_TTL_HOURS: intText(1, 24 * 365).default(24),
  IDEMPOTENCY_LEASE_SECONDS: intText(1, 3600).default(30),
  STOCK_RECONCILE_GRACE_SECONDS: intText(0, 86400).default(60),
  STOCK_RECONCILE_INTERVAL_SECONDS: intText(1, 86400).default(30),
  OUTBOX_INTERVAL_MS: intText(10, 600000).default(1000),
  RETENTION_OUTBOX_HOURS: intText(1, 24 * 3650).default(24 * 7),
  RETENTION_RESERVATIONS_HOURS: intText(1, 24 * 3650).default(24 * 30),
  RETENTION_BATCH_SIZE: intText(1, 10000).default(500),
  RETENTION_INTERVAL_SECONDS: intText(10, 86400).default(600),
  CACHE_PREFIX: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be a plain key prefix').default('orders:cache'),
  EVENTS_STREAM: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be a plain stream name').default('orders.events'),
  EVENTS_STREAM_MAX_LENGTH: intText(1000, 100_000_000).default(1_000_000),
  TEST_FAULT_POINT: z.enum(['after-stock-update', 'after-event-publish']).optional(),
  PEER_TIMEOUT_MS: intText(50, 120000).default(3000),
  DB_POOL_MAX: intText(1, 1000).default(10),
  DB_QUERY_TIMEOUT_MS: intText(100, 600000).default(5000),
  DATABASE_SINGLE_SESSION: boolText.default(false),
  SIDECAR_URL: httpUrl.default('http://127.0.0.1:9091'),
  HEALTH_DETAILS: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['never', 'admin', 'always'], { error: 'must be never, admin or always' }))
    .optional(),
  SHUTDOWN_DELAY_SECONDS: intText(0, 600).default(5),
  MIGRATE_ON_START: boolText.optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  // OpenTelemetry's own names (its SDK specification), so a platform's usual settings apply as they are
  OTEL_SDK_DISABLED: boolText.default(false),
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: boolText.default(false),
  WEBHOOKS_ALLOW_HTTP: boolText.optional(),
  WEBHOOKS_MAX_ATTEMPTS: intText(1, 50).default(8),
  WEBHOOKS_TIMEOUT_MS: intText(100, 60000).default(5000),
  WEBHOOKS_RETRY_BASE_MS: intText(10, 3_600_000).default(10_000),
  WEBHOOKS_RETRY_MAX_SECONDS: intText(1, 86400).default(3600),
  WEBHOOKS_INTERVAL_MS: intText(10, 600000).default(1000),
  WEBHOOKS_SECRET_OVERLAP_HOURS: intText(0, 24 * 30).default(24),
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.optional(),
  OTEL_TRACES_SAMPLER: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(TRACE_SAMPLERS, { error: `must be one of ${TRACE_SAMPLERS.join(', ')}` }))
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a ratio between 0 and 1')
    .transform(Number)
    .optional(),
});

type EnvName = keyof typeof environmentSchema.shape;

/** Reads and validates the environment once. Throws ConfigError with one line naming every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset (operators often template `FOO=` for "none").
  const present: Partial<Record<EnvName, string>> = {};
  for (const name of Object.keys(environmentSchema.shape) as EnvName[]) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') present[name] = value;
  }

  const problems: string[] = [];
  const isProduction = (present.ENVIRONMENT ?? '').trim().toLowerCase() === 'production';
  if (isProduction) {
    const missing = REQUIRED_IN_PRODUCTION.filter((name) => present[name] === undefined);
    if (missing.length > 0) problems.push(`missing ${missing.join(', ')} (required in production)`);
    if (present.SECRET_KEY !== undefined && present.SECRET_KEY.length < 32) {
      problems.push('SECRET_KEY must be at least 32 characters in production');
    }
    // it gives up the stock record's crash safety
    if (['true', '1', 'yes', 'on'].includes((present.DATABASE_SINGLE_SESSION ?? '').trim().toLowerCase())) {
      problems.push('DATABASE_SINGLE_SESSION is for an embedded development database, not production');
    }
    // a production service reaching its own network on an admin's word is an SSRF hole
    if (['true', '1', 'yes', 'on'].includes((present.WEBHOOKS_ALLOW_PRIVATE_TARGETS ?? '').trim().toLowerCase())) {
      problems.push('WEBHOOKS_ALLOW_PRIVATE_TARGETS is for tests and development, not production');
    }
  }

  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // the issue message never carries the value, only what was expected
      problems.push(`${String(issue.path[0])} ${issue.message}`);
    }
  }
  if (parsed.success) {
    const params = new URL(parsed.data.DATABASE_URL ?? DEVELOPMENT_DATABASE_URL).searchParams;
    // libpq's verify-ca without a CA would trust any certificate a public CA signed for anyone
    if (params.get('uselibpqcompat') === 'true' && params.get('sslmode') === 'verify-ca' && !params.has('sslrootcert') && !parsed.data.DATABASE_CA_FILE) {
      problems.push('DATABASE_URL sslmode=verify-ca with uselibpqcompat=true needs sslrootcert or DATABASE_CA_FILE');
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;

  const environment = e.ENVIRONMENT;
  const production = environment === 'production';
  const secretKeyGenerated = e.SECRET_KEY === undefined;
  const peers = {
    userServiceUrl: e.USER_SERVICE_URL,
    cartServiceUrl: e.CART_SERVICE_URL,
    productServiceUrl: e.PRODUCT_SERVICE_URL,
    searchServiceUrl: e.SEARCH_SERVICE_URL,
  };

  const config: Config = {
    environment,
    serviceName: e.SERVICE_NAME,
    serviceHost: e.SERVICE_HOST,
    servicePort: e.SERVICE_PORT,
    version: SERVICE_VERSION,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL ?? DEVELOPMENT_DATABASE_URL,
    databaseCaFile: e.DATABASE_CA_FILE,
    redisUrl: e.REDIS_URL,
    redisCaFile: e.REDIS_CA_FILE,
    // Outside production a missing key becomes a random per-process key, never a well-known one:
    // a forgotten ENVIRONMENT=production must not let anyone mint admin tokens.
    secretKey: e.SECRET_KEY ?? randomBytes(32).toString('hex'),
    secretKeyGenerated,
    algorithm: 'HS256',
    accessTokenExpireMinutes: e.ACCESS_TOKEN_EXPIRE_MINUTES,
    peers,
    accountCheck: { cacheSeconds: e.ACCOUNT_CHECK_CACHE_SECONDS, whenUnavailable: e.ACCOUNT_CHECK_WHEN_UNAVAILABLE },
    cors: {
      origins: Object.freeze(allowedOrigins(peers, e.CORS_DEFAULT_ORIGINS ?? (production ? [...PRODUCTION_DEFAULT_ORIGINS] : []), e.CORS_ORIGINS)),
      allowLoopback: !production,
    },
    publicPathPrefix: e.PUBLIC_PATH_PREFIX,
    trustedProxies: e.TRUSTED_PROXIES ?? DEFAULT_TRUSTED_PROXIES,
    pricing: {
      taxRate: e.TAX_RATE,
      taxRateBasisPoints: toBasisPoints(e.TAX_RATE),
      shippingFlatMinor: toMinorUnits(e.SHIPPING_FLAT),
      freeShippingThresholdMinor: toMinorUnits(e.FREE_SHIPPING_THRESHOLD),
    },
    stockManagement: e.STOCK_MANAGEMENT,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    retention: {
      outboxDeliveredHours: e.RETENTION_OUTBOX_HOURS,
      reservationsSettledHours: e.RETENTION_RESERVATIONS_HOURS,
      batchSize: e.RETENTION_BATCH_SIZE,
      intervalSeconds: e.RETENTION_INTERVAL_SECONDS,
    },
    checkout: {
      idempotencyLeaseSeconds: e.IDEMPOTENCY_LEASE_SECONDS,
      reconcileGraceSeconds: e.STOCK_RECONCILE_GRACE_SECONDS,
      reconcileIntervalSeconds: e.STOCK_RECONCILE_INTERVAL_SECONDS,
      outboxIntervalMs: e.OUTBOX_INTERVAL_MS,
      eventsStream: e.EVENTS_STREAM,
      eventsStreamMaxLength: e.EVENTS_STREAM_MAX_LENGTH,
    },
    cachePrefix: e.CACHE_PREFIX,
    testFaultPoint: e.ENVIRONMENT === 'test' ? (e.TEST_FAULT_POINT ?? null) : null,
    peerTimeoutMs: e.PEER_TIMEOUT_MS,
    dbPoolMax: e.DB_POOL_MAX,
    dbQueryTimeoutMs: e.DB_QUERY_TIMEOUT_MS,
    dbSingleSession: e.DATABASE_SINGLE_SESSION,
    sidecarUrl: e.SIDECAR_URL,
    healthDetails: e.HEALTH_DETAILS ?? (production ? 'admin' : 'always'),
    shutdownDelaySeconds: e.SHUTDOWN_DELAY_SECONDS,
    migrateOnStart: e.MIGRATE_ON_START ?? !production,
    platform: e.KUBERNETES_SERVICE_HOST ? 'kubernetes' : 'local',
    tracing: {
      tracesEndpoint: e.OTEL_SDK_DISABLED
        ? undefined
        : (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` : undefined)),
      headers: e.OTEL_EXPORTER_OTLP_HEADERS ?? {},
      serviceName: e.OTEL_SERVICE_NAME ?? e.SERVICE_NAME,
      sampler: e.OTEL_TRACES_SAMPLER,
      samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    },
    webhooks: {
      allowPrivateTargets: e.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
      allowHttp: e.WEBHOOKS_ALLOW_HTTP ?? !production,
      maxAttempts: e.WEBHOOKS_MAX_ATTEMPTS,
      timeoutMs: e.WEBHOOKS_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOKS_RETRY_BASE_MS,
      retryMaxSeconds: e.WEBHOOKS_RETRY_MAX_SECONDS,
      intervalMs: e.WEBHOOKS_INTERVAL_MS,
      secretOverlapHours: e.WEBHOOKS_SECRET_OVERLAP_HOURS,
    },
  };
  return deepFreeze(config);
}

/** The peers' origins (they may call us from a browser context), the default list and CORS_ORIGINS, deduplicated. */
function allowedOrigins(peers: Config['peers'], defaults: string[], extra: string | undefined): string[] {
  const origins = new Set<string>();
  for (const url of Object.values(peers)) if (url) origins.add(new URL(url).origin);
  for (const origin of defaults) origins.add(origin);
  for (const item of (extra ?? '').split(',')) {
    const text = item.trim();
    if (!text) continue;
    try {
      origins.add(new URL(text).origin);
    } catch {
      origins.add(text.replace(/\/+$/, ''));
    }
  }
  return [...origins];
}

/** postgresql+asyncpg://…?ssl=require (the old Python form) → postgresql://…?sslmode=require */
export function normaliseDatabaseUrl(url: string): string {
  const text = url.replace(/^postgresql\+asyncpg:\/\//, 'postgresql://');
  const parsed = new URL(text);
  const ssl = parsed.searchParams.get('ssl');
  if (ssl !== null && !parsed.searchParams.has('sslmode')) {
    parsed.searchParams.delete('ssl');
    const word = ssl.toLowerCase();
    parsed.searchParams.set('sslmode', ['true', 'require', '1'].includes(word) ? 'require' : ['false', '0'].includes(word) ? 'disable' : ssl);
    return parsed.toString();
  }
  return text;
}

/** The URL with its password replaced by ***; anything unparseable becomes a placeholder. */
export function maskUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** What the start-up report and /health/info show: no secret, URLs with masked passwords. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    service: config.serviceName,
    version: config.version,
    environment: config.environment,
    listen: `${config.serviceHost}:${config.servicePort}`,
    log_level: config.logLevel,
    database_url: maskUrl(config.databaseUrl),
    database_ca_file: config.databaseCaFile ?? null,
    redis_url: maskUrl(config.redisUrl),
    redis_ca_file: config.redisCaFile ?? null,
    secret_key: config.secretKeyGenerated ? 'generated for this process (development)' : 'set',
    algorithm: config.algorithm,
    user_service_url: maskUrl(config.peers.userServiceUrl),
    cart_service_url: maskUrl(config.peers.cartServiceUrl),
    product_service_url: maskUrl(config.peers.productServiceUrl),
    search_service_url: maskUrl(config.peers.searchServiceUrl),
    account_check: config.peers.userServiceUrl
      ? { cache_seconds: config.accountCheck.cacheSeconds, when_unavailable: config.accountCheck.whenUnavailable }
      : 'off (no USER_SERVICE_URL)',
    cors_origins: [...config.cors.origins, ...(config.cors.allowLoopback ? ['http://localhost:*', 'http://127.0.0.1:*'] : [])],
    public_path_prefix: config.publicPathPrefix ?? null,
    trusted_proxies: config.trustedProxies,
    tax_rate: config.pricing.taxRate,
    shipping_flat_minor: config.pricing.shippingFlatMinor,
    free_shipping_threshold_minor: config.pricing.freeShippingThresholdMinor,
    stock_management: config.stockManagement,
    idempotency_ttl_hours: config.idempotencyTtlHours,
    peer_timeout_ms: config.peerTimeoutMs,
    db_pool_max: config.dbPoolMax,
    db_query_timeout_ms: config.dbQueryTimeoutMs,
    sidecar_url: maskUrl(config.sidecarUrl),
    health_details: config.healthDetails,
    shutdown_delay_seconds: config.shutdownDelaySeconds,
    migrate_on_start: config.migrateOnStart,
    tracing: config.tracing.tracesEndpoint
      ? {
          endpoint: maskUrl(config.tracing.tracesEndpoint),
          // the names only: these are usually a collector's credentials
          headers: Object.keys(config.tracing.headers),
          service_name: config.tracing.serviceName,
          sampler: config.tracing.sampler,
          sampler_ratio: config.tracing.samplerRatio,
        }
      : 'off (no OTEL_EXPORTER_OTLP_ENDPOINT): incoming trace context is still logged and propagated',
    webhooks: {
      allow_private_targets: config.webhooks.allowPrivateTargets,
      allow_http: config.webhooks.allowHttp,
      max_attempts: config.webhooks.maxAttempts,
      timeout_ms: config.webhooks.timeoutMs,
      retry_base_ms: config.webhooks.retryBaseMs,
      retry_max_seconds: config.webhooks.retryMaxSeconds,
      secret_overlap_hours: config.webhooks.secretOverlapHours,
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
