// The server span of each request, child of the caller's traceparent (the gateway's): named after
// the OpenAPI route template once it is known, with the method and status; never a header value.
import type { RequestHandler } from 'express';
import { context, extractTraceContext, SpanKind, SpanStatusCode, trace, tracer } from '../tracing/trace-context.js';

export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    const parent = extractTraceContext(req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path, 'url.scheme': req.protocol } },
      parent,
    );
    // close comes after finish, and also when the client went away first
    res.once('close', () => {
      const route = req.routeTemplate;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (!res.writableFinished) span.setAttribute('error.type', 'aborted');
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // everything after this middleware (handlers, peer calls, queries, log lines) runs in the span's context
    context.with(trace.setSpan(parent, span), next);
  };
}
