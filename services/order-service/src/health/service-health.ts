// The /health/* handlers as the configuration sets them up: one place for main.ts and createApp's default.

import { describeConfig, type Config } from '../config.js';
import { createHealthHandlers } from './handlers.js';
import { createHealthReader, type HealthReader } from './reader.js';

export function createServiceHealth(config: Config, state: { ready: boolean; shuttingDown: boolean; migrationsApplied: boolean }, reader: HealthReader = createHealthReader({ sidecarUrl: config.sidecarUrl })) {
  return {
    handlers: createHealthHandlers({
      reader,
      service: { name: config.serviceName, version: config.version, environment: config.environment, platform: config.platform },
      state,
      details: config.healthDetails,
      describeConfig: () => describeConfig(config),
    }),
  };
}
