// OpenTelemetry's own variable names (its SDK specification), so a platform's usual settings apply
// as they are: spans exported over OTLP/HTTP when an endpoint is set.
import { z } from 'zod';
import type { TracingConfig } from './types.js';
import { boolText, httpUrl, oneOf, type Parsed } from './values.js';

const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

// W3C Baggage-style `key=value,key2=value2` (values percent-encoded), as OpenTelemetry defines it
const otlpHeaders = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const headers: Record<string, string> = {};
    for (const pair of v.split(',').map((p) => p.trim()).filter(Boolean)) {
      const at = pair.indexOf('=');
      const key = at > 0 ? pair.slice(0, at).trim() : '';
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated key=value pairs' });
        return z.NEVER;
      }
      try {
        headers[key.toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: 'has a value that is not percent-encoded properly' });
        return z.NEVER;
      }
    }
    return headers;
  });

export const tracingVariables = {
  OTEL_SDK_DISABLED: boolText.default(false),
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.optional(),
  OTEL_TRACES_SAMPLER: oneOf(TRACE_SAMPLERS, `must be one of ${TRACE_SAMPLERS.join(', ')}`).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a ratio between 0 and 1')
    .transform(Number)
    .optional(),
};

export function tracingConfig(e: Parsed<typeof tracingVariables>, serviceName: string): TracingConfig {
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` : undefined);
  return {
    tracesEndpoint: e.OTEL_SDK_DISABLED ? undefined : endpoint,
    headers: e.OTEL_EXPORTER_OTLP_HEADERS ?? {},
    serviceName: e.OTEL_SERVICE_NAME ?? serviceName,
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
