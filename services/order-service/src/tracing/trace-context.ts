// W3C trace context for every request, with or without an exporter: an AsyncLocalStorage context
// manager and the W3C propagator are registered at import, so an incoming traceparent reaches the
// logs (trace_id), the peers and the outbox even when no SDK is loaded (OpenTelemetry's API then
// hands out non-recording spans that carry the caller's trace). The SDK itself is in otel-sdk.ts.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

export { context, SpanKind, SpanStatusCode, ROOT_CONTEXT, trace, type Context, type Span };

// registered once per process; a second registration (tests start several services) is refused by the API, harmlessly
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator()] }));

/** The service's tracer: a no-op one until otel-sdk.ts registers a provider (the API's proxy forwards then). */
export const tracer = trace.getTracer('order-service');

type Carrier = Record<string, string | string[] | undefined>;

/** The caller's trace context from its traceparent/tracestate headers (ROOT_CONTEXT when absent or malformed). */
export function extractTraceContext(headers: Carrier): Context {
  return propagation.extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => carrier[key],
    keys: (carrier) => Object.keys(carrier),
  });
}

/** Adds traceparent (and tracestate) of the active context to outgoing headers; nothing outside a trace. */
export function injectTraceContext(headers: Record<string, string>, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers);
}

/** The active context's traceparent header value (for the outbox), or undefined outside a trace. */
export function activeTraceparent(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The fields every log line of a request carries: trace_id (and span_id), none outside a trace. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : {};
}

/**
 * Runs fn in a new active span that ends when fn settles; a failure marks it ERROR with the
 * error's class only (messages can quote SQL or values).
 */
export async function inSpan<T>(name: string, options: { kind: SpanKind; attributes?: Attributes }, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export function markFailed(span: Span, err: unknown): void {
  const name = err instanceof Error ? err.constructor.name : typeof err;
  span.setAttribute('error.type', name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
}
