// The /health/* operations. Each reads the sidecar's snapshot (reader.ts); none touches a
// dependency. 200 while the critical dependency (PostgreSQL) is fine, 503 when it is not or is
// unknown. /health/live checks the process only.

import type { DependencyName } from '@orders/health-snapshot';
import type { Request, Response } from 'express';
import type { OperationHandlers } from '../http/api.js';
import { createConnectivityReport, entryOf } from './connectivity.js';
import type { HealthReader } from './reader.js';

export interface HealthDeps {
  reader: HealthReader;
  service: { name: string; version: string; environment: string; platform: string };
  state: { ready: boolean; shuttingDown: boolean; migrationsApplied: boolean };
  /** never | admin | always: who sees versions, database names and the configuration */
  details: 'never' | 'admin' | 'always';
  describeConfig: () => Record<string, unknown>;
}

const PER_DEPENDENCY: Record<string, DependencyName> = {
  getHealthPostgres: 'postgres',
  getHealthRedis: 'redis',
  getHealthUserService: 'user-service',
  getHealthCartService: 'cart-service',
  getHealthProductService: 'product-service',
  getHealthSearchService: 'search-service',
};

function send(res: Response, ok: boolean, body: unknown): void {
  res.setHeader('cache-control', 'no-store');
  res.status(ok ? 200 : 503).json(body);
}

export function createHealthHandlers(deps: HealthDeps): OperationHandlers {
  const showDetails = (req: Request) =>
    deps.details === 'always' || (deps.details === 'admin' && (req as Request & { actor?: { role: string } }).actor?.role === 'admin');
  const sendConnectivity = createConnectivityReport(deps.service.name);

  const handlers: OperationHandlers = {
    getHealthConnectivity: (_c, req, res) => {
      const view = deps.reader.peek();
      if (view) return sendConnectivity(view, showDetails(req), res); // the common case: no promise to wait for
      return deps.reader.read().then((fresh) => sendConnectivity(fresh, showDetails(req), res));
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
    getHealthReady: async (_c, _req, res) => readiness(deps, res),
  };
  for (const [operationId, name] of Object.entries(PER_DEPENDENCY)) {
    handlers[operationId] = async (_c, req, res) => {
      const view = await deps.reader.read();
      send(res, view.criticalOk, { dependency: name, ...entryOf(view.dependencies[name]!, showDetails(req)), service_ready: view.criticalOk });
    };
  }
  return handlers;
}

async function readiness(deps: HealthDeps, res: Response): Promise<void> {
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
}
