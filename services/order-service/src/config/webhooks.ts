// Signed deliveries of order events to the endpoints an admin registered.
import type { WebhooksConfig } from './types.js';
import { boolText, intText, type Parsed } from './values.js';

export const webhooksVariables = {
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: boolText.default(false),
  WEBHOOKS_ALLOW_HTTP: boolText.optional(),
  WEBHOOKS_MAX_ATTEMPTS: intText(1, 50).default(8),
  WEBHOOKS_TIMEOUT_MS: intText(100, 60000).default(5000),
  WEBHOOKS_RETRY_BASE_MS: intText(10, 3_600_000).default(10_000),
  WEBHOOKS_RETRY_MAX_SECONDS: intText(1, 86400).default(3600),
  WEBHOOKS_INTERVAL_MS: intText(10, 600000).default(1000),
  WEBHOOKS_SECRET_OVERLAP_HOURS: intText(0, 24 * 30).default(24),
};

export function webhooksConfig(e: Parsed<typeof webhooksVariables>, production: boolean): WebhooksConfig {
  return {
    allowPrivateTargets: e.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
    allowHttp: e.WEBHOOKS_ALLOW_HTTP ?? !production,
    maxAttempts: e.WEBHOOKS_MAX_ATTEMPTS,
    timeoutMs: e.WEBHOOKS_TIMEOUT_MS,
    retryBaseMs: e.WEBHOOKS_RETRY_BASE_MS,
    retryMaxSeconds: e.WEBHOOKS_RETRY_MAX_SECONDS,
    intervalMs: e.WEBHOOKS_INTERVAL_MS,
    secretOverlapHours: e.WEBHOOKS_SECRET_OVERLAP_HOURS,
  };
}
