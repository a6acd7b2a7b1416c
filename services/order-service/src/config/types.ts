// The configuration's shape: one typed, frozen object, made once by loadConfig (load.ts).

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
