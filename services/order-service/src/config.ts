// The one place that reads the environment: every variable of CONTRACTS.md §1 plus the
// service's extras, validated once into a typed, frozen Config (config/, one file a section).
// Everything else takes the Config as a parameter.
export { loadConfig } from './config/load.js';
export { describeConfig, maskUrl } from './config/describe.js';
export { normaliseDatabaseUrl } from './config/values.js';
export { PRODUCTION_DEFAULT_ORIGINS } from './config/access.js';
export { ConfigError } from './config/types.js';
export type { Config, Environment, HealthDetails, LogLevel, TraceSampler, TracingConfig, WebhooksConfig } from './config/types.js';
