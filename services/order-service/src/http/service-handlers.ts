// The service's own operations: basic health (also the gateway's GET / without a token), this
// document as JSON, Swagger UI and Prometheus metrics. None touches a dependency.
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Document } from 'openapi-backend';
import swaggerUi from 'swagger-ui-express';
import type { OperationHandlers } from './api.js';
import type { ServiceMetrics } from './metrics.js';

export interface HealthBody {
  status: 'healthy';
  service: string;
  version: string;
  timestamp: string;
}

export function basicHealth(service: { name: string; version: string }): HealthBody {
  return { status: 'healthy', service: service.name, version: service.version, timestamp: new Date().toISOString() };
}

export function serviceHandlers(deps: {
  document: Document;
  metrics: ServiceMetrics;
  service: { name: string; version: string };
}): OperationHandlers {
  const documentJson = JSON.stringify(deps.document);
  // Swagger UI's page refers to its assets relatively. Served at /docs (no slash, and no redirect to
  // add one: behind the gateway a redirect would lose the /order prefix) the assets are "docs/…";
  // at /docs/ they are "./…". Both resolve under /docs/ directly and under /order/docs/ via the gateway.
  const pageAtSlash = swaggerUi.generateHTML(deps.document, { customSiteTitle: 'Order service API' });
  const pageWithoutSlash = pageAtSlash.replace(/(href|src)="\.\//g, '$1="docs/');
  return {
    getHealth: (_c, _req, res) => {
      res.json(basicHealth(deps.service));
    },
    getOpenApiDocument: (_c, _req, res) => {
      res.type('application/json').send(documentJson);
    },
    getApiDocs: (_c, req: Request, res: Response) => {
      res.type('html').send(req.path.endsWith('/') ? pageAtSlash : pageWithoutSlash);
    },
    getMetrics: async (_c, _req, res) => {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  };
}

/** Swagger UI's static assets, mounted at /docs (the page itself is the getApiDocs operation). */
export function swaggerAssets(): RequestHandler {
  const router = express.Router();
  router.use((req, _res, next) => {
    // only real asset paths here; /docs and /docs/ go on to the OpenAPI router
    if (req.path === '/' || req.path === '') {
      next('router');
      return;
    }
    req.routeTemplate = '/docs/{asset}';
    next();
  });
  router.use(...swaggerUi.serveWithOptions({ redirect: false, index: false, fallthrough: true }));
  router.use((req, _res, next) => {
    req.routeTemplate = undefined; // not an asset after all: the OpenAPI router decides
    next();
  });
  return router;
}
