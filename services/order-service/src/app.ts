// Builds the Express app from its parts (no listen): request ids, metrics, access log, CORS, token
// reading, JSON bodies, then openapi-backend for every route, and problem+json for every error.
import express, { type Express } from 'express';
import type { Document, OpenAPIBackend } from 'openapi-backend';
import type { Config } from './config.js';
import { createServiceHealth } from './health/service-health.js';
import type { Log } from './log.js';
import { createApi, loadApiDocument, type OperationHandlers } from './http/api.js';
import { anonymousProbes } from './http/fast-paths.js';
import { readBearerToken } from './http/auth.js';
import { jsonBody } from './http/body.js';
import { corsPolicy } from './http/cors.js';
import { createServiceMetrics, measureRequests, type ServiceMetrics } from './http/metrics.js';
import { isDatabaseUnavailable } from './data/database.js';
import { createOrderHandlers, type OrderUseCases } from './http/order-handlers.js';
import { problemErrorHandler } from './http/problem.js';
import { publicPrefix } from './http/public-path.js';
import { requestId } from './http/request-id.js';
import { traceRequests } from './http/request-trace.js';
import { serviceHandlers, swaggerAssets } from './http/service-handlers.js';
import { createStatsHandlers, type StatsUseCases } from './http/stats-handlers.js';
import { createWebhookHandlers } from './http/webhook-handlers.js';
import type { ManageWebhooks } from './webhooks/manage-webhooks.js';
import './http/request-context.js';

export interface AppDeps {
  config: Config;
  orders: OrderUseCases;
  /** the trend and best-product statistics */
  stats?: StatsUseCases;
  /** the admin webhook operations */
  webhooks?: ManageWebhooks;
  log: Log;
  metrics?: ServiceMetrics;
  /** the /health/* operations; by default they read the sidecar at SIDECAR_URL */
  health?: { handlers: OperationHandlers };
  /** the OpenAPI document; loaded from openapi/order-service.yaml when absent */
  document?: Document;
  /** readiness and shutdown (main.ts owns it); while shutting down, responses ask clients to close keep-alive connections */
  state?: { ready: boolean; shuttingDown: boolean; migrationsApplied: boolean };
}

export interface App {
  app: Express;
  metrics: ServiceMetrics;
  document: Document;
  /** the initialised openapi-backend (tests validate responses with its compiled validators) */
  api: OpenAPIBackend;
}

export async function createApp(deps: AppDeps): Promise<App> {
  const { config, log } = deps;
  const metrics = deps.metrics ?? createServiceMetrics();
  const document = deps.document ?? loadApiDocument();
  const service = { name: config.serviceName, version: config.version };

  const api = await createApi(document, {
    ...serviceHandlers({ document, metrics, service }),
    ...createOrderHandlers({ orders: deps.orders, metrics, service, isDatabaseUnavailable }),
    ...createStatsHandlers({ stats: deps.stats }),
    ...createWebhookHandlers({ webhooks: deps.webhooks }),
    ...(deps.health ?? createServiceHealth(config, deps.state ?? { ready: true, shuttingDown: false, migrationsApplied: true })).handlers,
  });

  const app = express();
  app.disable('x-powered-by');
  // ETags here mean the order's version (set by the handlers), not a hash of the body
  app.set('etag', false);
  // the gateway (nginx ingress) and the kubelet reach us from private addresses (TRUSTED_PROXIES)
  app.set('trust proxy', [...config.trustedProxies]);

  app.use(traceRequests());
  const tagRequest = requestId();
  app.use((req, res, next) => {
    if (deps.state?.shuttingDown) res.setHeader('Connection', 'close');
    tagRequest(req, res, next);
  });
  app.use(measureRequests(metrics));
  const accessLog = accessLogOf(log);
  if (accessLog) app.use(accessLog);
  app.use(publicPrefix(config.publicPathPrefix));
  app.use(anonymousProbes(api));
  app.use(corsPolicy(config.cors));
  app.use(readBearerToken({ secretKey: config.secretKey, algorithm: config.algorithm }));
  app.use('/docs', swaggerAssets());
  app.use(jsonBody());
  app.use((req, res, next) => {
    // HEAD is GET without a body (Node drops the body); the document lists GET only
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const request = { method, path: req.path, headers: req.headers as Record<string, string | string[]>, query: req.query as Record<string, string | string[]>, body: req.body as unknown };
    api.handleRequest(request, req, res).catch(next);
  });
  app.use(problemErrorHandler(log, isDatabaseUnavailable));

  return { app, metrics, document, api };
}

/**
 * The access log: a line per request at INFO, refusals and failures at WARNING; null (nothing to
 * listen for) when the level prints neither (LOG_LEVEL=ERROR).
 */
function accessLogOf(log: AppDeps['log']): express.RequestHandler | null {
  if (!log.isLevelEnabled('warn')) return null;
  const logAnswers = log.isLevelEnabled('info');
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let logged = false;
    const logAnswer = () => {
      if (logged) return;
      logged = true;
      const refused = res.statusCode === 401 || res.statusCode === 403;
      if (!logAnswers && !refused && res.statusCode < 500) return;
      const fields = {
        request_id: req.requestId,
        method: req.method,
        route: req.routeTemplate ?? 'unmatched',
        status: res.statusCode,
        duration_ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        user_id: req.actor?.userId,
      };
      // closed before the response ended: the client left (an export says how many rows it had sent)
      if (!res.writableFinished) log.info({ ...fields, rows_sent: res.locals.rowsSent as number | undefined }, 'request aborted');
      else if (res.statusCode >= 500) log.warn(fields, 'request answered');
      // refused credentials and roles are security events: on record at the default WARNING level too
      else if (refused) log.warn({ ...fields, refusal: res.statusCode === 401 ? 'unauthenticated' : 'forbidden' }, 'request refused');
      else log.info(fields, 'request answered');
    };
    res.once('finish', logAnswer);
    res.once('close', logAnswer);
    next();
  };
}
