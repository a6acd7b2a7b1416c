// The OpenTelemetry SDK, loaded (dynamic import from tracing.ts) only when an OTLP endpoint is
// configured: a tracer provider with the service's resource, the configured sampler and a batch
// processor exporting over OTLP/HTTP (JSON).
import { trace } from '@opentelemetry/api';
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
}

export function startSdk(options: SdkOptions): { shutdown(): Promise<void> } {
  const { tracing } = options;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: tracing.serviceName,
      [ATTR_SERVICE_VERSION]: options.version,
      'deployment.environment.name': options.environment,
    }),
    sampler: samplerOf(tracing.sampler, tracing.samplerRatio),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.tracesEndpoint, headers: { ...tracing.headers } }), {
        // a slow collector costs dropped spans, never request latency or unbounded memory
        maxQueueSize: 2048,
        scheduledDelayMillis: 1000,
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
