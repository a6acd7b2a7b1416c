// The OpenTelemetry SDK, loaded (dynamic import from tracing.ts) only when an OTLP endpoint is
// configured: a tracer provider with the service's resource, the configured sampler and a batch
// processor exporting over OTLP/HTTP (JSON).
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TraceSampler, TracingConfig } from '../config.js';

export interface SdkOptions {
  tracing: TracingConfig;
  version: string;
  environment: string;
  log?: { warn(obj: object, msg?: string): void };
}

// an export may take this long; a flush on SIGTERM waits for one, well inside the pod's grace period
const EXPORT_TIMEOUT_MS = 5_000;
// while a collector is down every batch fails: one line a minute says so
const FAILURE_LOG_INTERVAL_MS = 60_000;

export function startSdk(options: SdkOptions): { shutdown(): Promise<void> } {
  const { tracing } = options;
  reportExportFailures(options.log);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: tracing.serviceName,
      [ATTR_SERVICE_VERSION]: options.version,
      'deployment.environment.name': options.environment,
    }),
    sampler: samplerOf(tracing.sampler, tracing.samplerRatio),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.tracesEndpoint, headers: { ...tracing.headers }, timeoutMillis: EXPORT_TIMEOUT_MS }), {
        // a slow collector costs dropped spans, never request latency or unbounded memory
        maxQueueSize: 2048,
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown(); // flushes what the batch holds
      trace.disable(); // so a service started again in this process (tests) can register its own
    },
  };
}

/** The SDK's errors (failed exports) as a warning at most once a minute: the error's class and code, never its text. */
function reportExportFailures(log: SdkOptions['log']): void {
  let lastAt = 0;
  let since = 0;
  setGlobalErrorHandler((err) => {
    since++;
    if (!log || Date.now() - lastAt < FAILURE_LOG_INTERVAL_MS) return;
    lastAt = Date.now();
    const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown };
    const fields = { dependency: 'otlp', error_class: typeof e.name === 'string' ? e.name : typeof err, code: e.code, failures: since };
    // the batch timer was armed inside some request: that request's trace is not this line's
    context.with(ROOT_CONTEXT, () => log.warn(fields, 'span export failed'));
    since = 0;
  });
}

function samplerOf(name: TraceSampler, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
