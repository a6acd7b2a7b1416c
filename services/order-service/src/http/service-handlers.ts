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
  // The page embeds no document: its init script (SWAGGER_INIT) loads openapi.json beside /docs.
  const pageAtSlash = swaggerUi.generateHTML(undefined, { customSiteTitle: 'Order service API' });
  const pageWithoutSlash = pageAtSlash.replace(/(href|src)="\.\//g, '$1="docs/');
  return {
    getHealth: (_c, _req, res) => {
      res.json(basicHealth(deps.service));
    },
    getOpenApiDocument: (_c, req: Request, res: Response) => {
      const prefix = req.publicPrefix ?? '';
      res.type('application/json').send(prefix === '' ? documentJson : JSON.stringify(withServerFirst(deps.document, prefix)));
    },
    getApiDocs: (_c, req: Request, res: Response) => {
      res.type('html').send(req.path.endsWith('/') ? pageAtSlash : pageWithoutSlash);
    },
    getMetrics: async (_c, _req, res) => {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  };
}

/**
 * The document with the server clients reach it through listed first, so Swagger UI's "Try it out"
 * goes through the same gateway prefix the document was loaded from.
 */
function withServerFirst(document: Document, prefix: string): object {
  const servers: { url: string; description?: string }[] = document.servers ?? [];
  const here = servers.find((server) => server.url === prefix) ?? { url: prefix, description: 'where this document was loaded from' };
  return { ...document, servers: [here, ...servers.filter((server) => server !== here)] };
}

/**
 * Swagger UI's start script: it loads the document from ../openapi.json relative to its own URL
 * (…/docs/swagger-ui-init.js), which is right at /docs and /docs/, directly and under any prefix.
 */
export const SWAGGER_INIT = `var specUrl = new URL('../openapi.json', document.currentScript.src).href;
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: specUrl,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;

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
  router.get('/swagger-ui-init.js', (_req, res) => {
    res.type('application/javascript').send(SWAGGER_INIT);
  });
  router.use(...swaggerUi.serveWithOptions({ redirect: false, index: false, fallthrough: true }));
  router.use((req, _res, next) => {
    req.routeTemplate = undefined; // not an asset after all: the OpenAPI router decides
    next();
  });
  return router;
}
