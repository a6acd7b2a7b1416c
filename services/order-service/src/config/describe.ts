// What the start-up report and /health/info show of the configuration: no secret, URLs with
// masked passwords, the settings of each part in words.
import type { Config } from './types.js';

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
