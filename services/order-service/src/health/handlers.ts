// The /health/* operations. Each reads the sidecar's snapshot (reader.ts); none touches a
// dependency. 200 while the critical dependency (PostgreSQL) is fine, 503 when it is not or is
// unknown. /health/live checks the process only.

import type { Request, Response } from 'express';
import type { OperationHandlers } from '../http/api.js';
import type { HealthReader, HealthView, SidecarDependency } from './reader.js';

export interface HealthDeps {
  reader: HealthReader;
  service: { name: string; version: string; environment: string; platform: string };
  state: { ready: boolean; shuttingDown: boolean; migrationsApplied: boolean };
  /** never | admin | always: who sees versions, database names and the configuration */
  details: 'never' | 'admin' | 'always';
  describeConfig: () => Record<string, unknown>;
}

const PER_DEPENDENCY: Record<string, string> = {
  getHealthPostgres: 'postgres',
  getHealthRedis: 'redis',
  getHealthUserService: 'user-service',
  getHealthCartService: 'cart-service',
  getHealthProductService: 'product-service',
  getHealthSearchService: 'search-service',
};

/** The seed's keys of the connectivity object (the sidecar names them user-service, …). */
const SEED_KEY: Record<string, string> = {
  postgres: 'postgres',
  redis: 'redis',
  'user-service': 'user_service',
  'cart-service': 'cart_service',
  'product-service': 'product_service',
  'search-service': 'search_service',
};

export function createHealthHandlers(deps: HealthDeps): OperationHandlers {
  const showDetails = (req: Request) =>
    deps.details === 'always' || (deps.details === 'admin' && (req as Request & { actor?: { role: string } }).actor?.role === 'admin');

  const entry = (d: SidecarDependency, details: boolean) => {
    const { details: facts, interval_ms: _interval, consecutive_failures: _failures, ...rest } = d;
    return details && facts ? { ...rest, details: facts } : rest;
  };

  const send = (res: Response, ok: boolean, body: unknown) => {
    res.setHeader('cache-control', 'no-store');
    res.status(ok ? 200 : 503).json(body);
  };

  // adds up by construction: whatever is neither connected nor a warning (timeout, unknown) is failed
  function summary(view: HealthView) {
    const all = Object.values(view.dependencies);
    const list = all.filter((d) => d.status !== 'not_configured');
    const connected = list.filter((d) => d.status === 'connected').length;
    const warnings = list.filter((d) => d.status === 'warning').length;
    return {
      total_services: list.length,
      connected,
      failed: list.length - connected - warnings,
      warnings,
      not_configured: all.length - list.length,
    };
  }

  // the report of one view (the reader shares a view between probes for up to 250 ms), serialised
  // once around its timestamp: a probe adds only the time
  const bodies = new WeakMap<HealthView, Map<boolean, [string, string, number]>>();
  function connectivityBody(view: HealthView, details: boolean): [string, string, number] {
    let forView = bodies.get(view);
    if (!forView) bodies.set(view, (forView = new Map()));
    let body = forView.get(details);
    if (!body) {
      const s = summary(view);
      const head = JSON.stringify({ status: !view.criticalOk ? 'unhealthy' : s.failed + s.warnings > 0 ? 'degraded' : 'healthy', service: deps.service.name });
      const tail = JSON.stringify({
        connectivity: Object.fromEntries(Object.entries(view.dependencies).map(([k, d]) => [SEED_KEY[k] ?? k, entry(d, details)])),
        summary: s,
        live_system_status: !view.criticalOk ? 'down' : s.failed + s.warnings > 0 ? 'degraded' : 'operational',
        source: { sidecar: view.reachable ? 'ok' : 'unreachable', generated_at: view.generatedAt },
      });
      const [before, after] = [`${head.slice(0, -1)},"timestamp":`, `,${tail.slice(1)}`];
      body = [before, after, Buffer.byteLength(before) + Buffer.byteLength(after)];
      forView.set(details, body);
    }
    return body;
  }

  function sendConnectivity(view: HealthView, req: Request, res: Response): void {
    const [head, tail, bytes] = connectivityBody(view, showDetails(req));
    const timestamp = JSON.stringify(new Date().toISOString()); // ASCII: one byte a character
    res.statusCode = view.criticalOk ? 200 : 503;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', bytes + timestamp.length);
    res.end(`${head}${timestamp}${tail}`); // (Node leaves the body out for HEAD)
  }

  const handlers: OperationHandlers = {
    getHealthConnectivity: (_c, req, res) => {
      const view = deps.reader.peek();
      if (view) return sendConnectivity(view, req, res); // the common case: no promise to wait for
      return deps.reader.read().then((fresh) => sendConnectivity(fresh, req, res));
    },
    getHealthInfo: async (_c, req, res) => {
      const view = await deps.reader.read();
      send(res, view.criticalOk, {
        service: deps.service.name,
        version: deps.service.version,
        environment: deps.service.environment,
        platform: deps.service.platform,
        node: process.version,
        uptime_seconds: Math.round(process.uptime()),
        ...(showDetails(req) ? { configuration: deps.describeConfig() } : {}),
      });
    },
    getHealthLive: (_c, _req, res) => {
      // the process answers: that is all liveness means (never a dependency)
      send(res, true, { status: 'alive', uptime_seconds: Math.round(process.uptime()) });
    },
    getHealthReady: async (_c, _req, res) => {
      const view = await deps.reader.read();
      const checks = {
        process: deps.state.shuttingDown ? 'shutting_down' : 'ok',
        migrations: deps.state.migrationsApplied ? 'applied' : 'pending',
        // the sidecar's verdict (with its hysteresis), so body and status agree; the last probe beside it
        postgres: view.criticalOk ? 'healthy' : 'unhealthy',
        postgres_last_probe: view.dependencies.postgres!.status,
      };
      const ready = !deps.state.shuttingDown && deps.state.ready && deps.state.migrationsApplied && view.criticalOk;
      send(res, ready, { status: ready ? 'ready' : 'not_ready', checks });
    },
  };
  for (const [operationId, name] of Object.entries(PER_DEPENDENCY)) {
    handlers[operationId] = async (_c, req, res) => {
      const view = await deps.reader.read();
      send(res, view.criticalOk, { dependency: name, ...entry(view.dependencies[name]!, showDetails(req)), service_ready: view.criticalOk });
    };
  }
  return handlers;
}
