// The process itself: where it listens, how it logs, where its sidecar is, how it starts and stops.
import { z } from 'zod';
import type { Config, LogLevel } from './types.js';
import { boolText, httpUrl, intText, oneOf, type Parsed } from './values.js';

const SERVICE_VERSION = '0.1.0';

const LOG_LEVELS: Record<string, LogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
};

export const serviceVariables = {
  ENVIRONMENT: oneOf(['production', 'development', 'test'], 'must be production, development or test').default('development'),
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
  TEST_FAULT_POINT: z.enum(['after-stock-update', 'after-event-publish']).optional(),
  SIDECAR_URL: httpUrl.default('http://127.0.0.1:9091'),
  HEALTH_DETAILS: oneOf(['never', 'admin', 'always'], 'must be never, admin or always').optional(),
  SHUTDOWN_DELAY_SECONDS: intText(0, 600).default(5),
  MIGRATE_ON_START: boolText.optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
};

type ServiceSection = Pick<
  Config,
  'environment' | 'serviceName' | 'serviceHost' | 'servicePort' | 'version' | 'logLevel' | 'testFaultPoint' | 'sidecarUrl' | 'healthDetails' | 'shutdownDelaySeconds' | 'migrateOnStart' | 'platform'
>;

export function serviceConfig(e: Parsed<typeof serviceVariables>): ServiceSection {
  const production = e.ENVIRONMENT === 'production';
  return {
    environment: e.ENVIRONMENT,
    serviceName: e.SERVICE_NAME,
    serviceHost: e.SERVICE_HOST,
    servicePort: e.SERVICE_PORT,
    version: SERVICE_VERSION,
    logLevel: e.LOG_LEVEL,
    testFaultPoint: e.ENVIRONMENT === 'test' ? (e.TEST_FAULT_POINT ?? null) : null,
    sidecarUrl: e.SIDECAR_URL,
    healthDetails: e.HEALTH_DETAILS ?? (production ? 'admin' : 'always'),
    shutdownDelaySeconds: e.SHUTDOWN_DELAY_SECONDS,
    migrateOnStart: e.MIGRATE_ON_START ?? !production,
    platform: e.KUBERNETES_SERVICE_HOST ? 'kubernetes' : 'local',
  };
}
