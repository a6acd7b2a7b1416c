import { randomBytes } from 'node:crypto';
import { ConfigError, describeConfig, loadConfig, maskUrl, normaliseDatabaseUrl } from '../../src/config.js';

const PRODUCTION = {
  ENVIRONMENT: 'production',
  DATABASE_URL: 'postgresql://orders:db-password-123@db.example.internal:5432/orders?sslmode=require',
  REDIS_URL: 'rediss://default:redis-password-456@cache.example.internal:6379',
  SECRET_KEY: 'k'.repeat(32),
};

const STOREFRONT = 'https://ecommerce-microservices-platform.vercel.app';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('production without DATABASE_URL, SECRET_KEY and REDIS_URL names all three in one line', () => {
    const err = configError({ ENVIRONMENT: 'production' });
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/DATABASE_URL/);
    expect(err.message).toMatch(/SECRET_KEY/);
    expect(err.message).toMatch(/REDIS_URL/);
  });

  it('production names only the variables that are missing', () => {
    const err = configError({ ENVIRONMENT: 'Production', DATABASE_URL: PRODUCTION.DATABASE_URL, REDIS_URL: '' });
    expect(err.message).toContain('missing SECRET_KEY, REDIS_URL');
    expect(err.message).not.toContain('DATABASE_URL');
  });

  it('production refuses a SECRET_KEY shorter than 32 characters without printing it', () => {
    const err = configError({ ...PRODUCTION, SECRET_KEY: 'short-secret-value' });
    expect(err.message).toContain('SECRET_KEY must be at least 32 characters');
    expect(err.message).not.toContain('short-secret-value');
  });

  it('never puts a value into the error message', () => {
    const err = configError({ ...PRODUCTION, DATABASE_URL: 'mysql://u:hunter2@h/db', LOG_LEVEL: 'loud-hunter2' });
    expect(err.message).toContain('DATABASE_URL');
    expect(err.message).toContain('LOG_LEVEL');
    expect(err.message).not.toContain('hunter2');
  });

  it('database deadlines: DB_QUERY_TIMEOUT_MS defaults to 5 s and is validated; DATABASE_SINGLE_SESSION is refused in production', () => {
    expect(loadConfig(PRODUCTION).dbQueryTimeoutMs).toBe(5000);
    expect(loadConfig({ ...PRODUCTION, DB_QUERY_TIMEOUT_MS: '2500' }).dbQueryTimeoutMs).toBe(2500);
    expect(configError({ ...PRODUCTION, DB_QUERY_TIMEOUT_MS: 'soon' }).message).toMatch(/DB_QUERY_TIMEOUT_MS/);
    expect(configError({ ...PRODUCTION, DATABASE_SINGLE_SESSION: 'true' }).message).toMatch(/DATABASE_SINGLE_SESSION/);
    expect(loadConfig({ DATABASE_SINGLE_SESSION: 'true' }).dbSingleSession).toBe(true);
  });

  it('EVENTS_STREAM_MAX_LENGTH: a million entries by default, at least 1000, a whole number', () => {
    expect(loadConfig(PRODUCTION).checkout.eventsStreamMaxLength).toBe(1_000_000);
    expect(loadConfig({ ...PRODUCTION, EVENTS_STREAM_MAX_LENGTH: '200000' }).checkout.eventsStreamMaxLength).toBe(200_000);
    expect(configError({ ...PRODUCTION, EVENTS_STREAM_MAX_LENGTH: '999' }).message).toMatch(/EVENTS_STREAM_MAX_LENGTH.*at least 1000/);
    expect(configError({ ...PRODUCTION, EVENTS_STREAM_MAX_LENGTH: '1e6' }).message).toMatch(/EVENTS_STREAM_MAX_LENGTH/);
  });

  it('webhooks: private targets refused in production, https only there unless WEBHOOKS_ALLOW_HTTP, retries and deadlines validated', () => {
    expect(loadConfig(PRODUCTION).webhooks).toEqual({
      allowPrivateTargets: false, allowHttp: false, maxAttempts: 8, timeoutMs: 5000, retryBaseMs: 10_000, retryMaxSeconds: 3600, intervalMs: 1000, secretOverlapHours: 24,
    });
    expect(configError({ ...PRODUCTION, WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' }).message).toMatch(/WEBHOOKS_ALLOW_PRIVATE_TARGETS/);
    expect(loadConfig({ ...PRODUCTION, WEBHOOKS_ALLOW_HTTP: 'true' }).webhooks.allowHttp).toBe(true);
    expect(loadConfig({ WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' }).webhooks).toMatchObject({ allowPrivateTargets: true, allowHttp: true });
    expect(configError({ ...PRODUCTION, WEBHOOKS_MAX_ATTEMPTS: '0' }).message).toMatch(/WEBHOOKS_MAX_ATTEMPTS must be at least 1/);
    expect(configError({ ...PRODUCTION, WEBHOOKS_TIMEOUT_MS: '5s' }).message).toMatch(/WEBHOOKS_TIMEOUT_MS/);
  });

  it('accepts a complete production environment and freezes the result', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.environment).toBe('production');
    expect(config.secretKeyGenerated).toBe(false);
    expect(config.healthDetails).toBe('admin');
    expect(config.migrateOnStart).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cors.origins)).toBe(true);
  });

  it('development defaults: port 8081, INFO, HS256, no peer defaults, loopback CORS, migrations on start', () => {
    const config = loadConfig({});
    expect(config.environment).toBe('development');
    expect(config.serviceName).toBe('order-service');
    expect(config.serviceHost).toBe('0.0.0.0');
    expect(config.servicePort).toBe(8081);
    expect(config.logLevel).toBe('info');
    expect(config.algorithm).toBe('HS256');
    expect(config.accessTokenExpireMinutes).toBe(30);
    expect(config.peers).toEqual({
      userServiceUrl: undefined,
      cartServiceUrl: undefined,
      productServiceUrl: undefined,
      searchServiceUrl: undefined,
    });
    expect(config.redisUrl).toBeUndefined();
    expect(new URL(config.databaseUrl).hostname).toBe('127.0.0.1');
    expect(config.cors).toEqual({ origins: [], allowLoopback: true });
    expect(config.migrateOnStart).toBe(true);
    expect(config.healthDetails).toBe('always');
    expect(config.sidecarUrl).toBe('http://127.0.0.1:9091');
    expect(config.shutdownDelaySeconds).toBe(5);
    expect(config.pricing).toEqual({
      taxRate: '0.10',
      taxRateBasisPoints: 1000,
      shippingFlatMinor: 1000,
      freeShippingThresholdMinor: 10000,
    });
    expect(config.stockManagement).toBe(true);
    expect(config.idempotencyTtlHours).toBe(24);
    expect(config.peerTimeoutMs).toBe(3000);
    expect(config.dbPoolMax).toBe(10);
  });

  it('outside production a missing SECRET_KEY becomes a random per-process key, never a fixed one', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.secretKeyGenerated).toBe(true);
    expect(a.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(a.secretKey).not.toBe(b.secretKey);
  });

  it.each([
    ['debug', 'debug'],
    ['DEBUG', 'debug'],
    ['Info', 'info'],
    ['warning', 'warn'],
    ['WARNING', 'warn'],
    ['error', 'error'],
  ])('LOG_LEVEL %s is read case-insensitively as %s', (given, expected) => {
    expect(loadConfig({ LOG_LEVEL: given }).logLevel).toBe(expected);
  });

  it('refuses an unknown LOG_LEVEL', () => {
    expect(configError({ LOG_LEVEL: 'verbose' }).message).toContain('LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR');
  });

  it('refuses any ALGORITHM but HS256', () => {
    expect(configError({ ALGORITHM: 'RS256' }).message).toContain('ALGORITHM must be HS256');
    expect(loadConfig({ ALGORITHM: 'HS256' }).algorithm).toBe('HS256');
  });

  it('reports every invalid variable at once', () => {
    const err = configError({ SERVICE_PORT: 'eighty', TAX_RATE: '10%', STOCK_MANAGEMENT: 'maybe', CART_SERVICE_URL: 'cart:8080' });
    expect(err.problems).toHaveLength(4);
    for (const name of ['SERVICE_PORT', 'TAX_RATE', 'STOCK_MANAGEMENT', 'CART_SERVICE_URL']) {
      expect(err.message).toContain(name);
    }
    expect(err.message).not.toContain('\n');
  });

  it('reads the extra settings and peer URLs (trailing slash dropped)', () => {
    const config = loadConfig({
      SERVICE_PORT: '0',
      CART_SERVICE_URL: 'http://cart.internal:8080/',
      PRODUCT_SERVICE_URL: 'http://product.internal:3001',
      TAX_RATE: '0.0825',
      SHIPPING_FLAT: '5.5',
      FREE_SHIPPING_THRESHOLD: '50',
      STOCK_MANAGEMENT: 'off',
      HEALTH_DETAILS: 'Never',
      MIGRATE_ON_START: 'false',
      SHUTDOWN_DELAY_SECONDS: '0',
    });
    expect(config.servicePort).toBe(0);
    expect(config.peers.cartServiceUrl).toBe('http://cart.internal:8080');
    expect(config.pricing.taxRateBasisPoints).toBe(825);
    expect(config.pricing.shippingFlatMinor).toBe(550);
    expect(config.pricing.freeShippingThresholdMinor).toBe(5000);
    expect(config.stockManagement).toBe(false);
    expect(config.healthDetails).toBe('never');
    expect(config.migrateOnStart).toBe(false);
    expect(config.shutdownDelaySeconds).toBe(0);
  });

  it('accepts the old postgresql+asyncpg:// form and converts ssl=require to sslmode=require', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql+asyncpg://u:p@neon.example:5432/orders?ssl=require' });
    expect(config.databaseUrl).toBe('postgresql://u:p@neon.example:5432/orders?sslmode=require');
    expect(normaliseDatabaseUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });

  it('production CORS is the configured peers, the storefront (built-in default) and CORS_ORIGINS; no loopback', () => {
    const config = loadConfig({
      ...PRODUCTION,
      USER_SERVICE_URL: 'https://gateway.shop.example/user',
      CORS_ORIGINS: 'https://shop.example, https://admin.shop.example/ ,',
    });
    expect(config.cors.allowLoopback).toBe(false);
    expect([...config.cors.origins].sort()).toEqual(
      ['https://admin.shop.example', 'https://gateway.shop.example', 'https://shop.example', STOREFRONT].sort(),
    );
  });

  it('CORS_DEFAULT_ORIGINS replaces the built-in production list ("none": nothing); outside production there is none', () => {
    expect(loadConfig(PRODUCTION).cors.origins).toEqual([STOREFRONT]);
    expect(loadConfig({ ...PRODUCTION, CORS_DEFAULT_ORIGINS: 'https://store.example/, http://store.example:8080' }).cors.origins).toEqual([
      'https://store.example',
      'http://store.example:8080',
    ]);
    expect(loadConfig({ ...PRODUCTION, CORS_DEFAULT_ORIGINS: 'none', CORS_ORIGINS: 'https://shop.example' }).cors.origins).toEqual(['https://shop.example']);
    // an empty variable counts as unset: the default stays
    expect(loadConfig({ ...PRODUCTION, CORS_DEFAULT_ORIGINS: ' ' }).cors.origins).toEqual([STOREFRONT]);
    expect(loadConfig({}).cors.origins).toEqual([]);
    expect(loadConfig({ CORS_DEFAULT_ORIGINS: STOREFRONT }).cors.origins).toEqual([STOREFRONT]);
    for (const bad of ['storefront', 'https://store.example/app', 'ftp://store.example', 'https://store.example?x=1', 'https://u:p@store.example']) {
      const err = configError({ ...PRODUCTION, CORS_DEFAULT_ORIGINS: bad });
      expect(err.message).toContain('CORS_DEFAULT_ORIGINS must be none or comma-separated origins');
      expect(err.message).not.toContain(bad);
    }
  });

  it('PUBLIC_PATH_PREFIX: none by default; /order and /shop/order accepted; a trailing slash, no leading slash or unsafe characters refused', () => {
    expect(loadConfig({}).publicPathPrefix).toBeUndefined();
    expect(loadConfig({ PUBLIC_PATH_PREFIX: '/order' }).publicPathPrefix).toBe('/order');
    expect(loadConfig({ PUBLIC_PATH_PREFIX: ' /shop/order-v2 ' }).publicPathPrefix).toBe('/shop/order-v2');
    for (const bad of ['order', '/order/', '/', '//evil.example', 'https://evil.example/order', '/a b', '/../admin', '/order?x=1', '/é', '/a;b']) {
      expect([bad, configError({ PUBLIC_PATH_PREFIX: bad }).message]).toEqual([bad, expect.stringContaining('PUBLIC_PATH_PREFIX must start with /')]);
    }
    expect(describeConfig(loadConfig({ PUBLIC_PATH_PREFIX: '/order' })).public_path_prefix).toBe('/order');
  });

  it('TRUSTED_PROXIES: private ranges by default; names, addresses and CIDRs accepted; anything else refused', () => {
    expect(loadConfig({}).trustedProxies).toEqual(['loopback', 'linklocal', 'uniquelocal']);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7, fd00::/8, loopback' }).trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
    for (const bad of ['everyone', 'true', '10.0.0.0/33', '10.0.0/8', 'fd00::/129', '10.0.0.0/8/1', ',']) {
      expect([bad, configError({ TRUSTED_PROXIES: bad }).message]).toEqual([bad, expect.stringContaining('TRUSTED_PROXIES must be')]);
    }
  });
});

describe('masking', () => {
  it('maskUrl replaces the password and keeps the rest', () => {
    expect(maskUrl('postgresql://orders:s3cret@db:5432/orders')).toBe('postgresql://orders:***@db:5432/orders');
    expect(maskUrl('rediss://default:tok@cache:6379')).toBe('rediss://default:***@cache:6379');
    expect(maskUrl('http://cart:8080')).toBe('http://cart:8080');
    expect(maskUrl(undefined)).toBeNull();
  });

  it('describeConfig shows URLs masked and never the secret key or a password', () => {
    const secretKey = `recognisable-${randomBytes(16).toString('hex')}`;
    const config = loadConfig({ ...PRODUCTION, SECRET_KEY: secretKey });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain(secretKey);
    expect(text).not.toContain('db-password-123');
    expect(text).not.toContain('redis-password-456');
    expect(describeConfig(config).database_url).toBe(
      'postgresql://orders:***@db.example.internal:5432/orders?sslmode=require',
    );
  });
});
