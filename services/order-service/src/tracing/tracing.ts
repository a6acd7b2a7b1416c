// Turns span export on when the configuration names an OTLP endpoint; otherwise the SDK is never
// loaded and the service only carries the caller's trace context (trace-context.ts).
import type { Config } from '../config.js';
import type { Log } from '../log.js';

export interface Tracing {
  /** true when spans are recorded and exported (the SDK is loaded) */
  exporting: boolean;
  /** flushes the spans still queued and stops the provider */
  shutdown(): Promise<void>;
}

export async function startTracing(config: Config, log?: Log): Promise<Tracing> {
  if (!config.tracing.tracesEndpoint) return { exporting: false, shutdown: async () => undefined };
  const { startSdk } = await import('./otel-sdk.js');
  const sdk = startSdk({ tracing: config.tracing, version: config.version, environment: config.environment, log });
  return { exporting: true, shutdown: () => sdk.shutdown() };
}
